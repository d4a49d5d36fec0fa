/**
 * What a function bundle gets for `@smithy/core/event-streams` (see `bundleSubstitutes`): a
 * codec that refuses. The SDK's protocols import the event-stream codec lazily, only for an
 * operation that streams events (S3's SelectObjectContent, Kinesis' SubscribeToShard, …).
 * The functions call none: DynamoDB's JSON operations, and no S3 client (the archive signs
 * its own requests). So about 10 KB of codec would load on every cold start and never run;
 * a call that reaches it is a bundling mistake, and says so.
 */
const refuse = (): never => {
  throw new Error(
    'this function bundle leaves out the SDK event-stream codec: an operation with an event ' +
      'stream needs @smithy/core/event-streams removed from bundleSubstitutes',
  );
};

/** Stands in for the SDK's event-stream serde; constructing it throws. */
export class EventStreamSerde {
  constructor() {
    refuse();
  }
}

/** Stands in for the SDK's event-stream marshaller provider: a marshaller whose every use throws. */
export const eventStreamSerdeProvider = () => ({ serialize: refuse, deserialize: refuse });

/** What a client with event-stream operations (S3Client) resolves at construction, as the SDK's. */
export const resolveEventStreamSerdeConfig = <
  T extends { eventStreamSerdeProvider: (input: T) => unknown },
>(
  input: T,
) => Object.assign(input, { eventStreamMarshaller: input.eventStreamSerdeProvider(input) });

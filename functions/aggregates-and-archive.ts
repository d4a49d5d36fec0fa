/**
 * Lambda handler of the `aggregates-and-archive` mapping: runs the `update-aggregates` and
 * `archive-expired` consumers over one reading of the table's stream, each over the records
 * its filters match (see `mappings` in `@pipeline/consumers`).
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { updateAggregatesConsumer } from '@pipeline/aggregates';
import { archiveExpiredConsumer } from '@pipeline/archive';
import { runConsumers } from '@pipeline/streams';
import type { Context, DynamoDBStreamEvent } from 'aws-lambda';
import { handler as archiveExpired } from './archive-expired.js';
import { handler as updateAggregates } from './update-aggregates.js';

const logger = new Logger({ serviceName: 'aggregates-and-archive' });

const runBoth = runConsumers(
  [
    { definition: updateAggregatesConsumer.definition, handler: updateAggregates },
    { definition: archiveExpiredConsumer.definition, handler: archiveExpired },
  ],
  {
    onConsumerError: (consumer, error) =>
      logger.error('consumer threw; its records are reported for retry', {
        consumer,
        error: error instanceof Error ? error.name : 'unknown',
      }),
  },
);

/** Applies one stream batch to the aggregates and the archive; reports unapplied records for retry. */
export const handler = async (event: DynamoDBStreamEvent, context?: Context) => {
  if (context) logger.addContext(context);
  return runBoth(event, context);
};

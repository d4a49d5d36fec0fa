import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DynamoDBClient as SdkDynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SignatureV4 } from '@smithy/signature-v4';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import {
  ConditionalCheckFailedException,
  DynamoDBClient,
  type DynamoDBClientConfig,
  DynamoDBServiceException,
  type Fetch,
  GetItemCommand,
  InternalServerError,
  ProvisionedThroughputExceededException,
  PutItemCommand,
} from '../src/bundle-substitutes/client-dynamodb.js';
import { esbuildOptions } from '../src/bundling.js';

const credentials = {
  accessKeyId: 'AKIDEXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
  sessionToken: 'session-token',
};
const KEY = { PK: { S: 'USER#1' }, SK: { S: 'PROFILE' } };

interface Received {
  readonly url: URL;
  readonly headers: Record<string, string>;
  readonly body: string;
}

/** DynamoDB as a script: each request gets the next answer, the last one again and again. */
const scripted = (...answers: ((signal: AbortSignal) => Response | Promise<Response>)[]) => {
  const received: Received[] = [];
  const fetch: Fetch = async (url, init) => {
    received.push({ url, headers: init.headers, body: init.body });
    return answers[Math.min(received.length, answers.length) - 1]!(init.signal);
  };
  return { received, fetch };
};

const answer =
  (body: object, status = 200) =>
  () =>
    new Response(JSON.stringify(body), {
      status,
      headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-requestid': 'REQ1' },
    });

const refusal = (status: number, type: string, fields: object = {}) =>
  answer(
    { __type: `com.amazonaws.dynamodb.v20120810#${type}`, message: `${type} here`, ...fields },
    status,
  );

/** An answer that never comes: the request fails only when its signal aborts. */
const hanging =
  (onSent: () => void = () => {}) =>
  (signal: AbortSignal) =>
    new Promise<Response>((_, reject) => {
      signal.addEventListener('abort', () => reject(signal.reason));
      onSent();
    });

/** A client over `fetch` whose backoff draws 0.5 and records its waits instead of waiting. */
const client = (fetch: Fetch, config: DynamoDBClientConfig = {}) => {
  const delays: number[] = [];
  const dynamodb = new DynamoDBClient({
    region: 'eu-west-1',
    credentials,
    fetch,
    retry: { random: () => 0.5, sleep: async (ms) => void delays.push(ms) },
    ...config,
  });
  return { dynamodb, delays };
};

const failureOf = (promise: Promise<unknown>) =>
  promise.then(
    () => expect.unreachable('the call succeeded'),
    (error: unknown) => error as DynamoDBServiceException,
  );

describe('the bundles’ DynamoDB client on the wire', () => {
  it('posts the input as JSON to the regional endpoint with the operation as target', async () => {
    const { received, fetch } = scripted(answer({}));
    const { dynamodb } = client(fetch);

    await dynamodb.send(new GetItemCommand({ TableName: 'main', Key: KEY, ConsistentRead: true }));

    const [request] = received;
    expect(request!.url.href).toBe('https://dynamodb.eu-west-1.amazonaws.com/');
    expect(request!.headers).toMatchObject({
      'content-type': 'application/x-amz-json-1.0',
      'x-amz-target': 'DynamoDB_20120810.GetItem',
      'x-amz-security-token': 'session-token',
      'content-length': String(Buffer.byteLength(request!.body)),
    });
    expect(JSON.parse(request!.body)).toEqual({
      TableName: 'main',
      Key: KEY,
      ConsistentRead: true,
    });
  });

  it('signs exactly what it sends: re-signing the request as received gives the same signature', async () => {
    const { received, fetch } = scripted(answer({}));
    const { dynamodb } = client(fetch, { endpoint: 'http://127.0.0.1:8000' });

    await dynamodb.send(new GetItemCommand({ TableName: 'main', Key: KEY }));

    const [{ url, headers: sent, body }] = received as [Received];
    const { authorization, ...headers } = sent;
    // x-amz-date is YYYYMMDDTHHMMSSZ: the time to sign at again.
    const [year, month, day, hour, minute, second] = (headers['x-amz-date']!.match(/\d\d/g) ?? [])
      .join('')
      .match(/^(\d{4})(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)$/)!
      .slice(1)
      .map(Number) as [number, number, number, number, number, number];
    const signingDate = new Date(Date.UTC(year, month - 1, day, hour, minute, second));
    // The SDK's own signer, with the hash its DynamoDB client signs with.
    const sha256 = new SdkDynamoDBClient({ region: 'eu-west-1' }).config.sha256;
    const sdkSigner = new SignatureV4({
      service: 'dynamodb',
      region: 'eu-west-1',
      credentials,
      sha256,
    });
    const { protocol, hostname, port, pathname: path } = url;
    const resigned = await sdkSigner.sign(
      { method: 'POST', protocol, hostname, port: Number(port), path, query: {}, headers, body },
      { signingDate },
    );
    expect(headers.host).toBe('127.0.0.1:8000');
    expect(authorization).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/eu-west-1\/dynamodb\/aws4_request, SignedHeaders=content-length;content-type;host;x-amz-content-sha256;x-amz-date;x-amz-security-token;x-amz-target, /,
    );
    expect(resigned.headers.authorization).toBe(authorization);
  });

  it('writes binary values as base64 and reads them back as bytes, nested ones included', async () => {
    const bytes = new Uint8Array([0, 1, 254, 255]);
    const item = {
      B: { B: Buffer.from('buffer') },
      BS: { BS: [bytes, new Uint8Array(bytes.buffer, 1, 2)] },
      M: { M: { inner: { L: [{ B: bytes }, { S: 'B' }] } } },
    };
    const wire = {
      B: { B: 'YnVmZmVy' },
      BS: { BS: ['AAH+/w==', 'Af4='] },
      M: { M: { inner: { L: [{ B: 'AAH+/w==' }, { S: 'B' }] } } },
    };
    const { received, fetch } = scripted(answer({ Attributes: wire }));
    const { dynamodb } = client(fetch);

    const output = await dynamodb.send(
      new PutItemCommand({ TableName: 'main', Item: item, ReturnValues: 'ALL_OLD' }),
    );

    expect(JSON.parse(received[0]!.body).Item).toEqual(wire);
    expect(output.Attributes).toEqual({
      B: { B: new Uint8Array(Buffer.from('buffer')) },
      BS: { BS: [bytes, bytes.subarray(1, 3)] },
      M: { M: { inner: { L: [{ B: bytes }, { S: 'B' }] } } },
    });
    expect((output.Attributes as { B: { B: unknown } }).B.B).toBeInstanceOf(Uint8Array);
  });

  it('refuses a client setting it does not honour, naming it', () => {
    expect(() => new DynamoDBClient({ retryMode: 'adaptive' } as DynamoDBClientConfig)).toThrow(
      /does not honour the setting retryMode/,
    );
    const handler = { requestTimeout: 1000, connectionTimeout: 100 };
    expect(() => new DynamoDBClient({ requestHandler: handler })).toThrow(
      /does not honour the setting requestHandler.connectionTimeout/,
    );
  });
});

describe('the bundles’ DynamoDB client when DynamoDB refuses', () => {
  it('retries throttling with backoff from 1 s, then answers with the attempts counted', async () => {
    const { received, fetch } = scripted(
      refusal(400, 'ProvisionedThroughputExceededException'),
      refusal(400, 'ThrottlingException'),
      answer({ Item: KEY }),
    );
    const { dynamodb, delays } = client(fetch);

    const output = await dynamodb.send(new GetItemCommand({ TableName: 'main', Key: KEY }));

    expect(received).toHaveLength(3);
    expect(delays).toEqual([500, 1000]);
    expect(output).toEqual({
      Item: KEY,
      $metadata: { httpStatusCode: 200, requestId: 'REQ1', attempts: 3, totalRetryDelay: 1500 },
    });
  });

  it('retries a 500 from 25 ms until the attempts run out, then throws the server fault', async () => {
    const { received, fetch } = scripted(refusal(500, 'InternalServerError'));
    const { dynamodb, delays } = client(fetch);

    const error = await failureOf(
      dynamodb.send(new GetItemCommand({ TableName: 'main', Key: KEY })),
    );

    expect(received).toHaveLength(4);
    expect(delays).toEqual([12, 25, 50]);
    expect(error).toBeInstanceOf(InternalServerError);
    expect(error).toBeInstanceOf(DynamoDBServiceException);
    expect(error).toMatchObject({
      name: 'InternalServerError',
      message: 'InternalServerError here',
      $fault: 'server',
      $metadata: { httpStatusCode: 500, requestId: 'REQ1', attempts: 4, totalRetryDelay: 87 },
    });
  });

  it('does not retry a refusal, and hands back its modelled fields with bytes decoded', async () => {
    const { received, fetch } = scripted(
      refusal(400, 'ConditionalCheckFailedException', { Item: { data: { B: 'AAE=' } } }),
    );
    const { dynamodb, delays } = client(fetch, { maxAttempts: 3 });

    const error = await failureOf(
      dynamodb.send(new PutItemCommand({ TableName: 'main', Item: KEY })),
    );

    expect(received).toHaveLength(1);
    expect(delays).toEqual([]);
    expect(error).toBeInstanceOf(ConditionalCheckFailedException);
    expect(error).not.toBeInstanceOf(ProvisionedThroughputExceededException);
    expect(error).toMatchObject({
      name: 'ConditionalCheckFailedException',
      $fault: 'client',
      Item: { data: { B: new Uint8Array([0, 1]) } },
      $metadata: { httpStatusCode: 400, attempts: 1, totalRetryDelay: 0 },
    });
  });

  it('names an error type it does not model after the answer, as the SDK’s base exception', async () => {
    const { fetch } = scripted(
      answer({ __type: 'com.amazon.coral.validate#ValidationException', Message: 'bad' }, 400),
    );
    const { dynamodb } = client(fetch);

    const error = await failureOf(
      dynamodb.send(new GetItemCommand({ TableName: 'main', Key: {} })),
    );

    expect(error.constructor).toBe(DynamoDBServiceException);
    expect(error).toMatchObject({ name: 'ValidationException', message: 'bad', $fault: 'client' });
    expect(error).not.toHaveProperty('Message');
  });

  it('retries a connection reset, then answers', async () => {
    const { received, fetch } = scripted(
      () => Promise.reject(new TypeError('fetch failed', { cause: { code: 'ECONNRESET' } })),
      answer({}),
    );
    const { dynamodb } = client(fetch);

    const output = await dynamodb.send(new GetItemCommand({ TableName: 'main', Key: KEY }));

    expect(received).toHaveLength(2);
    expect(output.$metadata.attempts).toBe(2);
  });

  it('gives up on an attempt after requestTimeout with a TimeoutError, which it retries', async () => {
    const { received, fetch } = scripted(hanging());
    const { dynamodb } = client(fetch, { maxAttempts: 2, requestHandler: { requestTimeout: 20 } });

    const error = await failureOf(
      dynamodb.send(new GetItemCommand({ TableName: 'main', Key: KEY })),
    );

    expect(received).toHaveLength(2);
    expect(error).toMatchObject({ name: 'TimeoutError', $metadata: { attempts: 2 } });
  });

  it('stops at once when the caller aborts while a request is out, with the SDK’s AbortError', async () => {
    const controller = new AbortController();
    const { received, fetch } = scripted(hanging(() => controller.abort()));
    const { dynamodb, delays } = client(fetch);

    const error = await failureOf(
      dynamodb.send(new GetItemCommand({ TableName: 'main', Key: KEY }), {
        abortSignal: controller.signal,
      }),
    );

    expect(received).toHaveLength(1);
    expect(delays).toEqual([]);
    expect(error).toMatchObject({ name: 'AbortError', message: 'Request aborted' });
  });
});

describe('function bundles', () => {
  const root = fileURLToPath(new URL('../../../', import.meta.url));
  it.each(['functions/api.ts', 'functions/update-aggregates.ts'])(
    'carry the lean DynamoDB client and none of the SDK’s (%s)',
    async (entry) => {
      const result = await build({
        ...esbuildOptions(
          join(root, entry),
          join(root, 'test-artifacts', 'client-dynamodb', entry.replace('.ts', '.mjs')),
          root,
        ),
        metafile: true,
      });
      const inputs = Object.keys(result.metafile.inputs);
      expect(inputs).toContain('packages/pipeline/src/bundle-substitutes/client-dynamodb.ts');
      expect(
        inputs.filter((path) => /@aws-sdk\/(client-dynamodb|dynamodb-codec)\//.test(path)),
      ).toEqual([]);
    },
  );
});

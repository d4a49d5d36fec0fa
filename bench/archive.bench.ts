/**
 * Archive throughput through the real local S3-compatible server: Lambda-shaped batches
 * of TTL expiries (sessions and product views, the pipeline's batch size) through the
 * `archive-expired` consumer. Baseline, same run: the same records written one object per
 * record, the layout the archive avoids.
 */
import { randomUUID } from 'node:crypto';
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import {
  createArchiveConsumer,
  createS3ObjectStore,
  planObjects,
  type RawImage,
  toArchiveRecord,
  writeArchiveObject,
} from '@pipeline/archive';
import { consumerNamed } from '@pipeline/consumers';
import { startArchiveServer } from '@pipeline/local';
import { streamEvent, ttlRemoveRecord } from '@pipeline/testing';
import type { DynamoDBRecord } from 'aws-lambda';
import type { Benchmark, Figure } from './figure.js';

const RECORDS = 20_000;
const BASELINE_RECORDS = 2_000;
const BUCKET = 'bench-archive';
const silent = { debug() {}, info() {}, warn() {}, error() {} };

const expiredRecords = (count: number): DynamoDBRecord[] => {
  const removedAt = Math.floor(Date.parse('2026-11-20T10:00:00.000Z') / 1000);
  return Array.from({ length: count }, (_, index) => {
    // Random ids as the store issues them; sequential ones would flatter gzip.
    const id = randomUUID().replaceAll('-', '');
    const at = new Date(Date.parse('2026-11-19T10:00:00.000Z') + index * 1000).toISOString();
    const item =
      index % 2 === 0
        ? {
            PK: `SESSION#${id}`,
            SK: 'METADATA',
            entityType: 'Session',
            sessionId: id,
            userId: `u${(index * 7919) % 5000}`,
            ttl: removedAt - 60,
            createdAt: at,
            updatedAt: at,
            rev: 1_763_632_800_000_000 + index,
          }
        : {
            PK: `PRODUCT#p${index % 300}`,
            SK: `VIEW#${at}#${id}`,
            entityType: 'ProductView',
            productId: `p${index % 300}`,
            viewId: id,
            at,
            userId: `u${(index * 7919) % 5000}`,
            ttl: removedAt - 60,
            createdAt: at,
            updatedAt: at,
            rev: 1_763_632_800_000_000 + index,
          };
    return ttlRemoveRecord(item, { approximateCreationDateTime: removedAt + (index % 7) });
  });
};

const seconds = (start: bigint) => Number(process.hrtime.bigint() - start) / 1e9;

export const benchmark: Benchmark = {
  title: 'Archive of TTL expiries to the local S3-compatible server',
  async run(): Promise<Figure[]> {
    const server = await startArchiveServer({ buckets: [BUCKET] });
    const local = {
      endpoint: server.endpoint,
      forcePathStyle: true,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    };
    const s3 = new S3Client(local);
    const objects = createS3ObjectStore(local);
    try {
      const batchSize = consumerNamed('archive-expired').batchSize;
      const records = expiredRecords(RECORDS);
      const handler = createArchiveConsumer({
        objects,
        bucket: BUCKET,
        prefix: 'bench',
        logger: silent,
      });
      const warmUp = createArchiveConsumer({
        objects,
        bucket: BUCKET,
        prefix: 'warm',
        logger: silent,
      });
      // Warm-up: first connections and JIT, on other records and another prefix.
      await warmUp(streamEvent(...expiredRecords(batchSize)));

      const start = process.hrtime.bigint();
      for (let offset = 0; offset < records.length; offset += batchSize) {
        const response = await handler(streamEvent(...records.slice(offset, offset + batchSize)));
        if (response.batchItemFailures.length > 0) throw new Error('benchmark batch failed');
      }
      const elapsed = seconds(start);

      // Bytes: what the consumer stored, summed from the bucket listing.
      let bytes = 0;
      let token: string | undefined;
      do {
        const page = await s3.send(
          new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'bench/', ContinuationToken: token }),
        );
        for (const object of page.Contents ?? []) bytes += object.Size ?? 0;
        token = page.NextContinuationToken;
      } while (token);

      const archiveRecords = records.slice(0, BASELINE_RECORDS).map((record) =>
        toArchiveRecord(
          {
            kind: 'remove',
            keys: { PK: record.dynamodb!.Keys!.PK!.S!, SK: record.dynamodb!.Keys!.SK!.S! },
            entityType: record.dynamodb!.OldImage!.entityType!.S!,
            eventID: record.eventID!,
            sequenceNumber: record.dynamodb!.SequenceNumber!,
            approximateCreationTime: record.dynamodb!.ApproximateCreationDateTime! * 1000,
            expiredByTtl: true,
          },
          record.dynamodb!.OldImage as RawImage,
          { tableName: 'orders' },
        ),
      );
      let baselineBytes = 0;
      const baselineStart = process.hrtime.bigint();
      for (const record of archiveRecords) {
        const [object] = planObjects([record], 'per-record');
        baselineBytes += (await writeArchiveObject(objects, BUCKET, object!)).bytes;
      }
      const baselineElapsed = seconds(baselineStart);

      return [
        {
          name: 'archive.records_per_s',
          value: Math.round(RECORDS / elapsed),
          unit: 'records/s',
          target: '>= 5000',
          baseline: {
            label: 'one object per record',
            value: Math.round(BASELINE_RECORDS / baselineElapsed),
          },
          note: `${RECORDS} Lambda-shaped TTL removes in batches of ${batchSize} through createArchiveConsumer (decode, exact JSON, gzip, conditional PutObject) to the in-memory local server.`,
        },
        {
          name: 'archive.bytes_per_record',
          value: Math.round(bytes / RECORDS),
          unit: 'bytes',
          target: '<= 150',
          baseline: {
            label: 'one object per record',
            value: Math.round(baselineBytes / BASELINE_RECORDS),
          },
          note: 'Gzip-compressed JSON Lines bytes per archived session or product view (random ids), summed from the bucket listing; one object per batch and partition.',
        },
      ];
    } finally {
      s3.destroy();
      await server.stop();
    }
  },
};

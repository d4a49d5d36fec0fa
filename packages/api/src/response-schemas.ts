import {
  calendarDaySchema,
  currencySchema,
  idSchema,
  minorUnitsSchema,
  moneySchema,
  orderItemSchema,
  orderSchema,
  orderStatusSchema,
  timestampSchema,
} from '@pipeline/model';
import * as z from 'zod';

// The bodies the routes answer with, for the OpenAPI document. The end-to-end test checks
// every answer of the running pipeline against them, so they describe what is sent.

const count = z.int().nonnegative();
const score = z.number().nullable().describe('relevance; null unless sorted by relevance');
const nextCursor = z
  .string()
  .optional()
  .describe(
    'pass back as `cursor` for the next page, with the same filters; absent on the last page',
  );
const byCurrency = z
  .record(currencySchema, minorUnitsSchema)
  .describe('minor units (cents) per ISO 4217 currency; cancelled orders left out');

/** `POST /orders`. */
export const orderWithItemsSchema = z.strictObject({
  order: orderSchema,
  items: z.array(orderItemSchema),
});

/** `GET /search/orders`. */
export const searchOrdersResultSchema = z.strictObject({
  hits: z.array(
    z.strictObject({
      orderId: idSchema,
      userId: idSchema,
      status: orderStatusSchema,
      createdAt: timestampSchema,
      updatedAt: timestampSchema,
      total: moneySchema,
      itemProductIds: z.array(idSchema),
      itemNames: z.array(z.string()),
      customerName: z.string().optional(),
      customerEmail: z.string().optional(),
      score,
    }),
  ),
  total: count.describe('every matching order, not just this page'),
  statuses: z.partialRecord(orderStatusSchema, count).describe('matching orders per status'),
  daily: z
    .array(z.strictObject({ date: calendarDaySchema, count }))
    .describe('matching orders per UTC day of creation, days without orders left out'),
  cursor: nextCursor,
});

/** `GET /search/users`. */
export const searchUsersResultSchema = z.strictObject({
  hits: z.array(
    z.strictObject({
      userId: idSchema,
      name: z.string(),
      email: z.string(),
      createdAt: timestampSchema,
      score,
    }),
  ),
  total: count.describe('every matching user, not just this page'),
  cursor: nextCursor,
});

/** `GET /aggregates/status`. */
export const statusCountsSchema = z.strictObject({
  counts: z.record(orderStatusSchema, count),
});

/** `GET /aggregates/daily`. */
export const dailySeriesSchema = z.strictObject({
  from: calendarDaySchema,
  to: calendarDaySchema,
  series: z.array(
    z.strictObject({
      day: calendarDaySchema,
      orders: count.describe('orders created that day, cancelled ones included'),
      revenue: byCurrency,
    }),
  ),
});

/** `GET /aggregates/users/:userId`. */
export const userTotalsSchema = z.strictObject({
  userId: idSchema,
  orders: count.describe('orders created, cancelled ones included'),
  spend: byCurrency,
});

/** `GET /aggregates/products/top`. */
export const topProductsSchema = z.strictObject({
  day: calendarDaySchema,
  products: z.array(z.strictObject({ productId: idSchema, views: count })),
});

const freshnessQuantiles = {
  p50Ms: count.nullable(),
  p99Ms: count.nullable(),
};

/** One event source mapping as `GET /pipeline` reports it. */
export const consumerStatusSchema = z.strictObject({
  name: z.string(),
  lagMs: count.describe(
    'age of the oldest record not yet processed, from its write time; 0 when caught up',
  ),
  lagSource: z
    .enum(['write-time', 'stream-record'])
    .describe(
      "which clock lagMs is measured from: the item's own updatedAt, or the stream record's time",
    ),
  freshness: z
    .strictObject({ windowSeconds: count, samples: count, ...freshnessQuantiles })
    .describe('write time to handler success, over the trailing window; null with no samples'),
  freshnessHistory: z
    .strictObject({
      bucketSeconds: count,
      buckets: z
        .array(
          z.strictObject({
            startMs: count.describe('when the bucket began, epoch milliseconds'),
            samples: count,
            throughputPerSecond: z.number().nonnegative(),
            ...freshnessQuantiles,
          }),
        )
        .readonly(),
    })
    .optional()
    .describe(
      'freshness and throughput over the last minutes, oldest bucket first, the filling one left out',
    ),
  throughputPerSecond: z
    .number()
    .nonnegative()
    .describe('records processed per second over the last few seconds'),
  processed: count,
  recordsIn: count,
  invocations: count,
  failures: count,
  retries: count,
  dlqDepth: count,
  dlqRecords: count,
  throttledReads: count.describe('reads refused because two other readers held a shard'),
  events: z
    .strictObject({
      polled: count.describe('records read from the stream'),
      filteredOut: count.describe('records that matched no filter pattern, never delivered'),
      invoked: count.describe('records delivered to the function, retries included'),
      failedInvoke: count.describe('records of invocations that failed'),
      dropped: count.describe('records given up on, for age or for exhausted retries'),
      onFailureDestinationDelivered: count.describe(
        "records whose batch's metadata reached the on-failure destination",
      ),
    })
    .describe("Lambda's event source mapping event counts (MetricsConfig: EventCount)"),
  sandbox: z
    .strictObject({
      coldStarts: count,
      initMs: z.array(z.number().nonnegative()).readonly().describe('the last 100, oldest first'),
      timeouts: count,
      crashes: count,
      alive: count,
    })
    .optional()
    .describe('cold starts and init times of its sandboxes; absent in-process'),
});

/** `GET /pipeline`. */
export const pipelineStatusSchema = z.strictObject({
  at: timestampSchema,
  consumers: z.array(consumerStatusSchema),
});

/** One event source mapping as `GET /pipeline` reports it. */
export type ConsumerStatus = z.infer<typeof consumerStatusSchema>;

/** What `GET /pipeline` answers. */
export type PipelineStatus = z.infer<typeof pipelineStatusSchema>;

/** `GET /healthz`. */
export const healthSchema = z.strictObject({
  status: z.literal('ok'),
  uptimeSeconds: count,
});

/** `GET /openapi.json`. */
export const openApiDocumentSchema = z.looseObject({
  openapi: z.string(),
  info: z.looseObject({ title: z.string(), version: z.string() }),
  paths: z.record(z.string(), z.looseObject({})),
});

/** Every error answer: a stable code, a message, and field issues for a validation error. */
export const errorBodySchema = z.strictObject({
  error: z.strictObject({
    code: z.string().describe('stable, such as store.validation or api.invalidParameter'),
    message: z.string(),
    issues: z.array(z.strictObject({ path: z.string(), message: z.string() })).optional(),
    requestId: z.string().optional().describe('on a 5xx; quote it when reporting the failure'),
  }),
});

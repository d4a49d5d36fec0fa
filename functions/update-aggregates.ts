/**
 * Lambda handler of the `update-aggregates` consumer: keeps the order, revenue and
 * product-view aggregates exactly once in effect. The consumer is declared, with its
 * logic, in `@pipeline/aggregates`.
 */
import { updateAggregatesConsumer } from '@pipeline/aggregates';
import { consumerLambdaHandler } from '@pipeline/pipeline';

/** Applies one stream batch to the aggregates; reports unapplied records for retry. */
export const handler = consumerLambdaHandler(updateAggregatesConsumer);

/**
 * Lambda handler of the `sync-search` consumer: keeps the orders and users search indexes
 * in step with the table. The consumer is declared, with its logic, in `@pipeline/search`.
 */
import { consumerLambdaHandler } from '@pipeline/pipeline';
import { syncSearchConsumer } from '@pipeline/search';

/** Applies one stream batch to the search indexes; reports unapplied records for retry. */
export const handler = consumerLambdaHandler(syncSearchConsumer);

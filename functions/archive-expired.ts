/**
 * Lambda handler of the `archive-expired` consumer: archives items that DynamoDB's TTL
 * deleted to S3 as gzip JSON Lines. The consumer is declared, with its logic, in
 * `@pipeline/archive`.
 */
import { archiveExpiredConsumer } from '@pipeline/archive';
import { consumerLambdaHandler } from '@pipeline/pipeline';

/** Archives the TTL expiries of one stream batch; reports unacknowledged records for retry. */
export const handler = consumerLambdaHandler(archiveExpiredConsumer);

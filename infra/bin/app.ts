/**
 * The CDK app: `npm run synth` / `npx cdk deploy`. Settings come from context; see
 * docs/deploy.md. The cdk-nag AwsSolutions and Serverless packs run at synthesis and fail it
 * on any finding that is not acknowledged with a reason.
 */
import { App, Validations } from 'aws-cdk-lib';
import { nagPacks } from '../lib/nag.js';
import { PipelineStack } from '../lib/pipeline-stack.js';
import { readSettings } from '../lib/settings.js';

const app = new App();
const settings = readSettings((key) => app.node.tryGetContext(key));
new PipelineStack(app, `StreamPipeline-${settings.stage}`, {
  settings,
  description: 'DynamoDB Streams pipeline: tables, search sync, aggregates and TTL archive.',
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
});
Validations.of(app).addPlugins(...nagPacks(app));

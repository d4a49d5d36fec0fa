import { mappings } from '@pipeline/consumers';
import { mappingFunction } from '@pipeline/pipeline';
import { Validations } from 'aws-cdk-lib';
import type { NagPack } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { describe, expect, it } from 'vitest';
import { nagPacks } from '../../infra/lib/nag.js';
import { existingDomain, serverlessCollection, synthesise } from './synth.js';

/** The acknowledgements one construct carries itself (not its scopes'). */
const acknowledgementsOn = (construct: IConstruct): { id: string; reason: string }[] =>
  construct.node.metadata
    .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
    .flatMap((entry) =>
      Object.entries(entry.data as Record<string, string>).map(([id, reason]) => ({
        // aws-cdk-lib writes the id with an `Annotation::` prefix, which cdk-nag strips.
        id: id.replace(/^annotation::/i, ''),
        reason,
      })),
    );

/** Every acknowledgement in the tree, with the path of the construct that carries it. */
const acknowledgementsOf = (root: IConstruct) =>
  root.node
    .findAll()
    .flatMap((construct) =>
      acknowledgementsOn(construct).map((entry) => ({ path: construct.node.path, ...entry })),
    );

const PACK_RULE = /^(AwsSolutions|Serverless)-/;

type AcknowledgementCheck = (resource: IConstruct, ruleId: string) => boolean;

/**
 * Runs both packs over the stack and records which acknowledgement answered each finding,
 * walking from the resource up its scopes exactly as cdk-nag's own check does.
 */
const runPacks = (root: IConstruct) => {
  const used = new Set<string>();
  const violations: string[] = [];
  for (const pack of nagPacks(root, false)) {
    const hooked = pack as unknown as { isAcknowledged: AcknowledgementCheck };
    hooked.isAcknowledged = (resource, ruleId) => {
      for (let scope: IConstruct | undefined = resource; scope; scope = scope.node.scope) {
        if (acknowledgementsOn(scope).some((entry) => entry.id === ruleId)) {
          used.add(`${scope.node.path} ${ruleId}`);
          return true;
        }
      }
      return false;
    };
    const report = (pack as NagPack).validateScope(root);
    violations.push(
      ...report.violations.map(
        (violation) =>
          `${violation.ruleName} at ${violation.violatingResources.map((r) => r.constructPath).join(', ')}`,
      ),
    );
  }
  // CDK's own template validation (CloudFormation-Validate) is not cdk-nag's to judge.
  const stale = acknowledgementsOf(root)
    .filter((entry) => PACK_RULE.test(entry.id) && !used.has(`${entry.path} ${entry.id}`))
    .map((entry) => `${entry.id} at ${entry.path}`);
  return { violations, stale, used };
};

const onFailureBuckets = mappings.map((mapping) => ({
  ...mappingFunction(mapping),
  onFailure: 'bucket' as const,
}));

const variants: readonly [string, Record<string, string>, typeof onFailureBuckets?][] = [
  ['development (the default)', {}],
  ['production', { stage: 'prod' }],
  ['a customer-managed key', { kms: 'true', archiveExpiryDays: '2555' }],
  ['an alarm email', { alarmEmail: 'ops@example.com' }],
  ['S3 on-failure destinations', { kms: 'true' }, onFailureBuckets],
  ['an existing domain', existingDomain],
  ['an OpenSearch Serverless collection', serverlessCollection],
];

describe.each(variants)('cdk-nag on %s', (_name, context, consumers) => {
  const { stack } = synthesise(context, false, consumers);
  const { violations, stale } = runPacks(stack);

  it('finds nothing unacknowledged in the AwsSolutions and Serverless packs', () => {
    expect(violations).toEqual([]);
  });

  it('holds no stale acknowledgement: each one answers a finding of this stack', () => {
    expect(stale).toEqual([]);
  });

  it('gives every acknowledgement a one-sentence reason', () => {
    const acknowledgements = acknowledgementsOf(stack).filter(({ id }) => PACK_RULE.test(id));
    expect(acknowledgements.length).toBeGreaterThan(0);
    for (const { id, reason } of acknowledgements) {
      expect(reason, id).toMatch(/^[^\n]{20,240}[.]$/);
      expect(reason.slice(0, -1), id).not.toMatch(/\.\s/);
    }
  });
});

describe('the packs', () => {
  it('are AwsSolutions and Serverless, both verbose in the app', () => {
    const { stack } = synthesise({});
    expect(nagPacks(stack).map((pack) => pack.readPackName)).toEqual([
      'AwsSolutions',
      'Serverless',
    ]);
  });

  it('report an acknowledgement that answers no finding as stale', () => {
    const { stack } = synthesise({});
    // S10 is an S3 rule, so nothing under a DynamoDB table can raise it.
    Validations.of(stack.mainTable).acknowledge({
      id: 'AwsSolutions-S10',
      reason: 'A deliberately stale acknowledgement for this test.',
    });

    const { stale } = runPacks(stack);

    expect(stale).toEqual(['AwsSolutions-S10 at PipelineTest/MainTable']);
  });
});

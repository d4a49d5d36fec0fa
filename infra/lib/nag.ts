/**
 * cdk-nag: the packs the app and the tests run, and acknowledgements. cdk-nag 3 names each
 * wildcard finding exactly, such as `AwsSolutions-IAM5[Resource::<Bucket.Arn>/archive/*]`,
 * so a grant's wildcard is acknowledged by rendering its ARN the way cdk-nag does, never by
 * silencing the rule.
 */
import { Stack, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks, type NagPack, ServerlessChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';

/**
 * The cdk-nag packs every synthesis runs: AWS Solutions and Serverless. A finding of either
 * fails synthesis unless the code acknowledges it with a reason.
 *
 * @example
 * Validations.of(app).addPlugins(...nagPacks(app));
 */
export const nagPacks = (scope: IConstruct, verbose = true): NagPack[] => [
  new AwsSolutionsChecks(scope, { verbose }),
  new ServerlessChecks(scope, { verbose }),
];

// The same flattening cdk-nag applies to intrinsic functions before it names a finding.
const flatten = (node: unknown): string => {
  if (node === undefined) return '';
  if (typeof node === 'string') return node.replace(/\${/g, '<').replace(/}/g, '>');
  const record = node as Record<string, unknown>;
  if (record['Fn::Join']) {
    const [delimiter, items] = record['Fn::Join'] as [string, unknown[]];
    return items.map(flatten).join(delimiter);
  }
  if (record['Fn::Sub']) return flatten(record['Fn::Sub']);
  if (record['Fn::GetAtt']) {
    const [resource, attribute] = record['Fn::GetAtt'] as [unknown, unknown];
    return `<${flatten(resource)}.${flatten(attribute)}>`;
  }
  if (record.Ref) return `<${flatten(record.Ref)}>`;
  return JSON.stringify(node);
};

/**
 * Acknowledges the IAM5 finding of each wildcard resource on `scope` (a role, whose
 * policies inherit it), with one reason.
 *
 * @example
 * acknowledgeWildcardResources(role, [bucket.arnForObjects('archive/*')], 'Object keys are content hashes.');
 */
export const acknowledgeWildcardResources = (
  scope: IConstruct,
  resourceArns: readonly string[],
  reason: string,
): void => {
  const stack = Stack.of(scope);
  Validations.of(scope).acknowledge(
    ...resourceArns.map((arn) => ({
      id: `AwsSolutions-IAM5[Resource::${flatten(stack.resolve(arn))}]`,
      reason,
    })),
  );
};

/** Acknowledges the IAM5 finding of each wildcard action on `scope`, with one reason. */
export const acknowledgeWildcardActions = (
  scope: IConstruct,
  actions: readonly string[],
  reason: string,
): void => {
  Validations.of(scope).acknowledge(
    ...actions.map((action) => ({ id: `AwsSolutions-IAM5[Action::${action}]`, reason })),
  );
};

/** Reading a synthesised template's IAM and logical ids, for the infra tests. */
import type { CfnElement, Stack } from 'aws-cdk-lib';
import type { Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';

/** One statement of an IAM policy document, as the template holds it. */
export interface Statement {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
}

/** The logical id of a construct's CloudFormation resource in `stack`. */
export const logicalIdIn = (stack: Stack, construct: IConstruct): string =>
  stack.resolve(stack.getLogicalId(construct.node.defaultChild as CfnElement)) as string;

/** Every statement of every policy attached to a role. */
export const roleStatements = (template: Template, roleLogicalId: string): Statement[] =>
  Object.values(template.findResources('AWS::IAM::Policy'))
    .filter((policy) =>
      (policy.Properties.Roles as unknown[]).some(
        (role) => JSON.stringify(role) === JSON.stringify({ Ref: roleLogicalId }),
      ),
    )
    .flatMap((policy) => policy.Properties.PolicyDocument.Statement as Statement[]);

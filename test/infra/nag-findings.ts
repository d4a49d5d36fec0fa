/** cdk-nag findings of a synthesised stack, for tests that compare variants. */
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';

/**
 * Every unacknowledged finding of the AwsSolutions and ServerlessChecks packs on `scope`,
 * as sorted `pack rule path` lines.
 *
 * @example
 * expect(nagFindings(withVpc.stack)).toEqual(nagFindings(withoutVpc.stack));
 */
export const nagFindings = (scope: IConstruct): string[] =>
  [new AwsSolutionsChecks(scope), new ServerlessChecks(scope)]
    .flatMap((pack) =>
      pack
        .validateScope(scope)
        .violations.flatMap((violation) =>
          violation.violatingResources.map(
            (resource) => `${violation.ruleName} ${resource.constructPath ?? ''}`,
          ),
        ),
    )
    .sort();

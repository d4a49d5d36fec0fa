/** Reading a synthesised template's resources, for the infra tests. */
import type { Template } from 'aws-cdk-lib/assertions';

/** The public access block of every bucket of the stack: all four switches on. */
export const blockAllPublicAccess = {
  BlockPublicAcls: true,
  BlockPublicPolicy: true,
  IgnorePublicAcls: true,
  RestrictPublicBuckets: true,
};

/**
 * Which of `types` the template holds a resource of.
 *
 * @example
 * expect(typesPresent(template, ['AWS::EC2::VPC', 'AWS::EC2::Subnet'])).toEqual([]);
 */
export const typesPresent = (template: Template, types: readonly string[]): string[] =>
  types.filter((type) => Object.keys(template.findResources(type)).length > 0);

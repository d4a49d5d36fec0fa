import { PipelineError } from '@pipeline/errors';

/** The codes of the CDK app's errors. */
export type InfraErrorCode = 'infra.invalidSetting';

/** Base class of the CDK app's errors. */
export class InfraError extends PipelineError<InfraErrorCode> {}

/** A context setting is missing, malformed or contradicts another one. */
export class InfraSettingError extends InfraError {
  override readonly name = 'InfraSettingError';
  constructor(
    readonly setting: string,
    reason: string,
    options?: ErrorOptions,
  ) {
    super('infra.invalidSetting', `context "${setting}": ${reason}`, options);
  }
}

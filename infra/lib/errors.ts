/** Base class of the CDK app's errors. */
export class InfraError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'InfraError';
    this.code = code;
  }
}

/** A context setting is missing, malformed or contradicts another one. */
export class InfraSettingError extends InfraError {
  readonly setting: string;
  constructor(setting: string, reason: string, options?: { cause?: unknown }) {
    super('infra.invalidSetting', `context "${setting}": ${reason}`, options);
    this.name = 'InfraSettingError';
    this.setting = setting;
  }
}

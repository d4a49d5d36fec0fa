/** A pipeline definition asks for settings Lambda would refuse or that break a consumer's guarantees. */
export class PipelineDefinitionError extends Error {
  readonly code = 'pipeline.invalidDefinition';
  readonly consumer: string;
  readonly setting: string;
  constructor(consumer: string, setting: string, reason: string, options?: { cause?: unknown }) {
    super(`consumer "${consumer}": ${setting} ${reason}`, options);
    this.name = 'PipelineDefinitionError';
    this.consumer = consumer;
    this.setting = setting;
  }
}

import { PipelineError } from '@pipeline/errors';

/** A pipeline definition asks for settings Lambda would refuse or that break a consumer's guarantees. */
export class PipelineDefinitionError extends PipelineError<'pipeline.invalidDefinition'> {
  readonly consumer: string;
  readonly setting: string;
  /** What `consumer` names: a consumer, a mapping, or the stream's list of mappings. */
  readonly subject: 'consumer' | 'mapping' | 'stream';
  constructor(
    consumer: string,
    setting: string,
    reason: string,
    options?: { cause?: unknown; subject?: 'consumer' | 'mapping' | 'stream' },
  ) {
    const subject = options?.subject ?? 'consumer';
    super('pipeline.invalidDefinition', `${subject} "${consumer}": ${setting} ${reason}`, options);
    this.subject = subject;
    this.name = 'PipelineDefinitionError';
    this.consumer = consumer;
    this.setting = setting;
  }
}

import { PipelineError } from '@pipeline/errors';

/** A pipeline definition asks for settings Lambda would refuse or that break a consumer's guarantees. */
export class PipelineDefinitionError extends PipelineError<'pipeline.invalidDefinition'> {
  override readonly name = 'PipelineDefinitionError';
  /** What `consumer` names: a consumer, a mapping, or the stream's list of mappings. */
  readonly subject: 'consumer' | 'mapping' | 'stream';
  constructor(
    readonly consumer: string,
    readonly setting: string,
    reason: string,
    options?: ErrorOptions & { subject?: 'consumer' | 'mapping' | 'stream' },
  ) {
    const subject = options?.subject ?? 'consumer';
    super('pipeline.invalidDefinition', `${subject} "${consumer}": ${setting} ${reason}`, options);
    this.subject = subject;
  }
}

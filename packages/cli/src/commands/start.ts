import { join } from 'node:path';
import { startLocalEngines, startLocalPipeline } from '@pipeline/local';
import { createSearchClient, ensureSearchIndices } from '@pipeline/search';
import type { Command } from '../command.js';
import { loadConsumers } from '../consumers.js';
import { removeRuntimeFile, writeRuntimeFile } from '../runtime-file.js';
import { resolveLocalSettings, settingsHelp, toStackSettings } from '../settings.js';

/** `start`: the whole pipeline on this machine, until Ctrl-C. */
export const startCommand: Command = {
  name: 'start',
  summary: 'start DynamoDB Local, the search server, the archive and every consumer',
  usage: `npm start [-- flags]\n\nflag                   environment            default              meaning\n${settingsHelp()}`,
  async run(args) {
    const started = Date.now();
    const { settings } = resolveLocalSettings(args);
    const engines = await startLocalEngines(toStackSettings(settings));
    const search = createSearchClient({ node: engines.openSearchUrl });
    await ensureSearchIndices(search);
    const consumers = await loadConsumers(engines.handlerEnvironment);
    const runner = startLocalPipeline(engines, consumers, join(settings.dataDirectory, 'runner'), {
      onLog: (message, details) => console.error(`[runner] ${message} ${JSON.stringify(details)}`),
    });
    writeRuntimeFile(settings.dataDirectory, {
      pid: process.pid,
      dynamodbEndpoint: engines.dynamodbEndpoint,
      openSearchUrl: engines.openSearchUrl,
      s3Endpoint: engines.s3Endpoint,
      environment: { ...engines.handlerEnvironment },
    });

    console.log(`pipeline ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    console.log(
      `  DynamoDB        ${engines.dynamodbEndpoint}  tables ${settings.tableName}, ${settings.aggregatesTableName}`,
    );
    console.log(`  OpenSearch      ${engines.openSearchUrl}`);
    console.log(`  archive (S3)    ${engines.s3Endpoint}  bucket ${settings.archiveBucket}`);
    console.log(
      `  consumers       ${consumers.map((consumer) => consumer.definition.name).join(', ')}`,
    );
    console.log(
      `  state           ${settings.dataDirectory}/  (Ctrl-C stops everything; a restart resumes)`,
    );

    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    console.log('stopping…');
    await runner.stop();
    await search.close();
    await engines.stop();
    removeRuntimeFile(settings.dataDirectory);
    console.log('stopped');
    return 0;
  },
};

import { Access, type AccessResources, accessEnvironment, EnvVar } from '@pipeline/pipeline';
import { describe, expect, it } from 'vitest';
import { consumerNamed } from '../src/index.js';

const resources: AccessResources = {
  tableName: 'main',
  aggregatesTableName: 'aggregates',
  archiveBucket: 'archive-bucket',
  archivePrefix: 'expired',
  search: { url: 'https://search.example', signingService: 'es' },
};

describe('accessEnvironment', () => {
  it("gives each consumer its own resources' names and no other", () => {
    expect(accessEnvironment(consumerNamed('archive-expired').access, resources)).toEqual({
      [EnvVar.tableName]: 'main',
      [EnvVar.archiveBucket]: 'archive-bucket',
      [EnvVar.archivePrefix]: 'expired',
    });
    expect(accessEnvironment(consumerNamed('update-aggregates').access, resources)).toEqual({
      [EnvVar.tableName]: 'main',
      [EnvVar.aggregatesTableName]: 'aggregates',
    });
    expect(accessEnvironment(consumerNamed('sync-search').access, resources)).toEqual({
      [EnvVar.tableName]: 'main',
      [EnvVar.openSearchUrl]: 'https://search.example',
      [EnvVar.openSearchSigV4]: 'true',
      [EnvVar.openSearchService]: 'es',
    });
  });

  it('leaves requests to a search node unsigned where no signing service is named', () => {
    const local = { ...resources, search: { url: 'http://127.0.0.1:9200' } };
    const environment = accessEnvironment([Access.writeSearch], local);
    expect(environment[EnvVar.openSearchUrl]).toBe('http://127.0.0.1:9200');
    expect(environment).not.toHaveProperty(EnvVar.openSearchSigV4);
    expect(environment).not.toHaveProperty(EnvVar.openSearchService);
  });
});

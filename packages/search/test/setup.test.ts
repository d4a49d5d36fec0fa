import { describe, expect, it } from 'vitest';
import { SearchSetupError, searchIndexNames, searchTemplatesVersion } from '../src/index.js';
import { buildIndexTemplate, searchIndexTemplates, templateVersionOf } from '../src/indices.js';
import {
  buildSearchReaderSecurity,
  buildSearchWriterSecurity,
  parseSearchSetupProperties,
} from '../src/setup.js';

describe('buildSearchReaderSecurity', () => {
  it('grants search on both index families, and nothing else', () => {
    const security = buildSearchReaderSecurity({
      backendRoles: ['arn:aws:iam::123456789012:role/api'],
      prefix: 'dev-',
    });
    expect(security).toEqual({
      roleName: 'dev-pipeline-search-reader',
      role: {
        description: 'Services that search orders and users, such as the HTTP API.',
        cluster_permissions: [],
        index_permissions: [
          {
            index_patterns: ['dev-orders*', 'dev-users*'],
            allowed_actions: ['indices:data/read/search'],
          },
        ],
      },
      mapping: { backend_roles: ['arn:aws:iam::123456789012:role/api'], hosts: [], users: [] },
    });
  });
});

describe('buildSearchWriterSecurity', () => {
  it('grants bulk index writes and realtime gets on both index families, and nothing else', () => {
    // Act
    const security = buildSearchWriterSecurity({
      backendRoles: ['arn:aws:iam::123456789012:role/sync-search'],
    });
    // Assess
    expect(security).toEqual({
      roleName: 'pipeline-search-writer',
      role: {
        description: 'Stream consumers that keep the search documents in step with the table.',
        cluster_permissions: ['indices:data/write/bulk'],
        index_permissions: [
          {
            index_patterns: ['orders*', 'users*'],
            allowed_actions: [
              'indices:data/write/bulk*',
              'indices:data/write/index',
              'indices:data/read/get',
            ],
          },
        ],
      },
      mapping: {
        backend_roles: ['arn:aws:iam::123456789012:role/sync-search'],
        hosts: [],
        users: [],
      },
    });
  });

  it('names the role and its index families under a prefix', () => {
    // Act
    const security = buildSearchWriterSecurity({ backendRoles: [], prefix: 'dev-' });
    // Assess
    expect(security.roleName).toBe('dev-pipeline-search-writer');
    expect(security.role.index_permissions[0]!.index_patterns).toEqual([
      'dev-orders*',
      'dev-users*',
    ]);
    expect(security.mapping.backend_roles).toEqual([]);
  });
});

describe('index templates', () => {
  it('fixes the replica count when one is given and auto-expands 0-1 otherwise', () => {
    const names = searchIndexNames().orders;
    expect(buildIndexTemplate(names, 'orders', { replicas: 1 }).template.settings.index).toEqual({
      refresh_interval: '1s',
      number_of_shards: 1,
      number_of_replicas: 1,
      auto_expand_replicas: false,
    });
    expect(buildIndexTemplate(names, 'orders').template.settings.index).toEqual({
      refresh_interval: '1s',
      number_of_shards: 1,
      auto_expand_replicas: '0-1',
    });
  });

  it('records a version that follows the content only', () => {
    // Prepare
    const templates = searchIndexTemplates({ replicas: 0 });
    const { _meta, ...body } = templates.orders;
    const reordered = {
      template: body.template,
      priority: body.priority,
      index_patterns: body.index_patterns,
    };
    // Assess
    expect(_meta?.templateVersion).toMatch(/^[0-9a-f]{16}$/);
    expect(templateVersionOf(reordered)).toBe(_meta?.templateVersion);
    expect(templates.users._meta?.templateVersion).not.toBe(_meta?.templateVersion);
    expect(searchTemplatesVersion({ replicas: 0 })).toBe(searchTemplatesVersion({ replicas: 0 }));
    expect(searchTemplatesVersion({ replicas: 0 })).not.toBe(
      searchTemplatesVersion({ replicas: 1 }),
    );
    expect(searchTemplatesVersion({ replicas: 0 })).not.toBe(searchTemplatesVersion());
  });
});

describe('parseSearchSetupProperties', () => {
  it('reads what CloudFormation hands over, every value a string', () => {
    expect(
      parseSearchSetupProperties({
        ServiceToken: 'arn:aws:lambda:eu-west-1:1:function:x',
        Replicas: '1',
        TemplateVersion: 'ab',
        WriterRoleArns: ['arn:aws:iam::123456789012:role/sync-search'],
        ReaderRoleArns: ['arn:aws:iam::123456789012:role/api'],
      }),
    ).toEqual({
      prefix: '',
      replicas: 1,
      writerRoleArns: ['arn:aws:iam::123456789012:role/sync-search'],
      readerRoleArns: ['arn:aws:iam::123456789012:role/api'],
    });
  });

  it.each([
    [{ Replicas: 'one' }, 'Replicas'],
    [{ Replicas: '0', Prefix: 3 }, 'Prefix'],
    [{ Replicas: '0', WriterRoleArns: ['sync-search'] }, 'WriterRoleArns'],
  ])('refuses %j, naming %s', (properties, name) => {
    expect(() => parseSearchSetupProperties(properties)).toThrow(SearchSetupError);
    expect(() => parseSearchSetupProperties(properties)).toThrow(name);
  });
});

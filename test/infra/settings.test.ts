import { describe, expect, it } from 'vitest';
import { InfraSettingError } from '../../infra/lib/errors.js';
import { readSettings } from '../../infra/lib/settings.js';

const read = (context: Record<string, unknown>) => readSettings((key) => context[key]);

describe('readSettings', () => {
  it('deploys a development stack with a new domain when nothing is set', () => {
    expect(read({})).toEqual({
      stage: 'dev',
      customerManagedKey: false,
      archivePrefix: 'archive',
      archiveExpiryDays: undefined,
      logRetentionDays: 30,
      logLevel: 'INFO',
      search: { kind: 'domain', domainName: 'pipeline-search-dev' },
      alarmEmail: undefined,
      httpApi: true,
      vpc: false,
    });
  });

  it('deploys the HTTP API unless told not to', () => {
    expect(read({ stage: 'prod' }).httpApi).toBe(true);
    expect(read({ httpApi: 'false' }).httpApi).toBe(false);
    expect(read({ httpApi: false }).httpApi).toBe(false);
  });

  it('runs inside a VPC by default in production only, either way when told', () => {
    expect(read({ stage: 'prod' }).vpc).toBe(true);
    expect(read({ stage: 'prod', vpc: 'false' }).vpc).toBe(false);
    expect(read({ stage: 'dev', vpc: 'true' }).vpc).toBe(true);
  });

  it('keeps production logs 90 days unless told otherwise', () => {
    expect(read({ stage: 'prod' }).logRetentionDays).toBe(90);
    expect(read({ stage: 'prod', logRetentionDays: '365' }).logRetentionDays).toBe(365);
  });

  it('reads an existing domain and a serverless collection', () => {
    expect(
      read({
        searchEndpoint: 'https://search-x.eu-west-1.es.amazonaws.com/',
        searchDomainArn: 'arn:aws:es:eu-west-1:123456789012:domain/x',
      }).search,
    ).toEqual({
      kind: 'existingDomain',
      endpoint: 'https://search-x.eu-west-1.es.amazonaws.com',
      domainArn: 'arn:aws:es:eu-west-1:123456789012:domain/x',
    });
    expect(
      read({
        searchEndpoint: 'https://c.eu-west-1.aoss.amazonaws.com',
        searchCollectionArn: 'arn:aws:aoss:eu-west-1:123456789012:collection/c',
      }).search.kind,
    ).toBe('serverless');
  });

  it.each([
    [{ stage: 'staging' }, 'stage'],
    [{ kms: 'yes' }, 'kms'],
    [{ httpApi: 'no' }, 'httpApi'],
    [{ vpc: 'on' }, 'vpc'],
    [{ archiveExpiryDays: '30' }, 'archiveExpiryDays'],
    [{ archiveExpiryDays: 'forever' }, 'archiveExpiryDays'],
    [{ logRetentionDays: '42' }, 'logRetentionDays'],
    [{ logLevel: 'TRACE' }, 'logLevel'],
    [{ searchEndpoint: 'https://x.example.com' }, 'searchEndpoint'],
    [{ searchDomainArn: 'arn:aws:es:eu-west-1:1:domain/x' }, 'searchEndpoint'],
    [
      { searchEndpoint: 'http://x.example.com', searchDomainArn: 'arn:aws:es:r:1:domain/x' },
      'searchEndpoint',
    ],
    [
      { searchDomainArn: 'arn:aws:s3:::bucket', searchEndpoint: 'https://x.example.com' },
      'searchDomainArn',
    ],
    [{ searchDomainName: 'Search_Domain' }, 'searchDomainName'],
    [
      {
        searchEndpoint: 'https://x.example.com',
        searchDomainArn: 'arn:aws:es:r:1:domain/x',
        searchCollectionArn: 'arn:aws:aoss:r:1:collection/c',
      },
      'searchCollectionArn',
    ],
  ])('refuses %j with an error naming %s', (context, setting) => {
    expect(() => read(context)).toThrow(InfraSettingError);
    try {
      read(context);
    } catch (error) {
      expect((error as InfraSettingError).setting).toBe(setting);
      expect((error as InfraSettingError).code).toBe('infra.invalidSetting');
    }
  });
});

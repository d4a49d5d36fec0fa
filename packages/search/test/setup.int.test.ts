import { randomUUID } from 'node:crypto';
import type { Client } from '@opensearch-project/opensearch';
import { createStore } from '@pipeline/store';
import { createMainTable, type TestTable } from '@pipeline/testing';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  createSearchClient,
  createSearchSetupHandler,
  removeSearchIndices,
  type SearchIndexNames,
  SearchSetupError,
  searchIndexNames,
  searchTemplatesVersion,
  sendBulk,
} from '../src/index.js';
import {
  aliasTargets,
  buildIndexTemplate,
  type IndexTemplateBuilder,
  SearchEntity,
} from '../src/indices.js';
import { KindSetup, setupSearch } from '../src/setup.js';
import { getDocument } from './support.js';

let client: Client;
let prefix: string;
let names: SearchIndexNames;
let table: TestTable;

beforeAll(async () => {
  client = createSearchClient({ node: inject('opensearchUrl') });
  prefix = `setup${randomUUID().slice(0, 8)}-`;
  names = searchIndexNames(prefix);
  table = await createMainTable();
});

afterAll(async () => {
  await removeSearchIndices(client, { prefix });
  await client.close();
});

const writerRoleArn = 'arn:aws:iam::123456789012:role/sync-search';

/** A custom resource event as the provider framework hands it to the onEvent handler. */
const event = (
  requestType: 'Create' | 'Update' | 'Delete',
  replicas: number,
  old?: number,
): CloudFormationCustomResourceEvent => {
  const properties = (count: number) => ({
    ServiceToken: 'arn:aws:lambda:eu-west-1:123456789012:function:provider',
    Prefix: prefix,
    Replicas: String(count),
    TemplateVersion: searchTemplatesVersion({ prefix, replicas: count }),
    WriterRoleArns: [writerRoleArn],
  });
  const common = {
    ServiceToken: 'arn:aws:lambda:eu-west-1:123456789012:function:provider',
    ResponseURL: 'https://cloudformation-custom-resource-response.example.com/',
    StackId: 'arn:aws:cloudformation:eu-west-1:123456789012:stack/PipelineTest/1',
    RequestId: randomUUID(),
    LogicalResourceId: 'SearchSetup',
    ResourceType: 'Custom::SearchSetup',
    ResourceProperties: properties(replicas),
  };
  if (requestType === 'Create') return { ...common, RequestType: 'Create' };
  return {
    ...common,
    RequestType: requestType,
    PhysicalResourceId: `search-setup-${prefix}`,
    OldResourceProperties: properties(old ?? replicas),
  } as CloudFormationCustomResourceEvent;
};

const handler = () =>
  createSearchSetupHandler({
    client,
    rebuildFrom: { dynamodb: table.client, tableName: table.tableName },
  });

const settingsOf = async (index: string): Promise<Record<string, string>> => {
  const response = await client.indices.getSettings({ index, flat_settings: true });
  return (response.body as Record<string, { settings: Record<string, string> }>)[index]!.settings;
};

const mappedFieldsOf = async (index: string): Promise<Record<string, { type?: string }>> => {
  const response = await client.indices.getMapping({ index });
  return (
    response.body as Record<string, { mappings: { properties: Record<string, { type?: string }> } }>
  )[index]!.mappings.properties;
};

/** Indexes one user document through the write alias, as the consumer does. */
const indexUser = async (userId: string, version: number) => {
  const { failures } = await sendBulk(client, [
    {
      index: names.users.write,
      id: userId,
      version,
      source: { userId, name: 'Ada', email: 'ada@example.com', createdAt: '2025-01-01T00:00:00Z' },
    },
  ]);
  expect(failures.size).toBe(0);
};

describe('the search setup custom resource', () => {
  it('creates both templates, the first versioned indices and their aliases on create', async () => {
    // Act
    const response = await handler()(event('Create', 0));
    // Assess
    expect(response).toEqual({
      PhysicalResourceId: `search-setup-${prefix}`,
      Data: {
        TemplateVersion: searchTemplatesVersion({ prefix, replicas: 0 }),
        Orders: KindSetup.created,
        Users: KindSetup.created,
        Security: 'noSecurityPlugin',
      },
    });
    for (const kind of [names.orders, names.users]) {
      expect(await aliasTargets(client, kind.read)).toEqual([kind.versioned('1')]);
      expect(await aliasTargets(client, kind.write)).toEqual([kind.versioned('1')]);
      const settings = await settingsOf(kind.versioned('1'));
      expect(settings['index.number_of_replicas']).toBe('0');
      expect(settings['index.auto_expand_replicas']).toBe('false');
    }
  });

  it('changes nothing on a second create, and the documents stay', async () => {
    // Prepare
    await indexUser('u-setup-1', 3);
    const uuid = (await settingsOf(names.users.versioned('1')))['index.uuid'];
    // Act
    const response = await handler()(event('Create', 0));
    // Assess
    expect(response.Data).toMatchObject({
      Orders: KindSetup.unchanged,
      Users: KindSetup.unchanged,
    });
    expect((await settingsOf(names.users.versioned('1')))['index.uuid']).toBe(uuid);
    expect(await getDocument(client, names.users.read, 'u-setup-1')).toMatchObject({ version: 3 });
  });

  it('applies a changed replica count to the live indices on update, and the documents stay', async () => {
    // Act
    const raised = await handler()(event('Update', 1, 0));
    const raisedReplicas = (await settingsOf(names.users.versioned('1')))[
      'index.number_of_replicas'
    ];
    // One data node cannot hold a replica: put it back so the shared node stays green.
    const lowered = await handler()(event('Update', 0, 1));
    // Assess
    expect(raised.Data).toMatchObject({ Orders: KindSetup.updated, Users: KindSetup.updated });
    expect(raised.Data?.TemplateVersion).not.toBe(lowered.Data?.TemplateVersion);
    expect(raisedReplicas).toBe('1');
    expect(lowered.Data).toMatchObject({ Orders: KindSetup.updated, Users: KindSetup.updated });
    expect((await settingsOf(names.users.versioned('1')))['index.number_of_replicas']).toBe('0');
    expect(await aliasTargets(client, names.users.read)).toEqual([names.users.versioned('1')]);
    expect(await getDocument(client, names.users.read, 'u-setup-1')).toMatchObject({ version: 3 });
  });

  it('leaves templates, indices and documents in place on delete', async () => {
    // Act
    const response = await handler()(event('Delete', 0));
    // Assess
    expect(response).toEqual({ PhysicalResourceId: `search-setup-${prefix}` });
    expect(await aliasTargets(client, names.users.read)).toEqual([names.users.versioned('1')]);
    expect(await getDocument(client, names.users.read, 'u-setup-1')).toMatchObject({ version: 3 });
  });
});

/** The built-in templates with one orders field changed. */
const withOrdersField =
  (field: string, mapping: object): IndexTemplateBuilder =>
  (kindNames, entity, options) => {
    const template = buildIndexTemplate(kindNames, entity, options);
    if (entity !== SearchEntity.orders) return template;
    const mappings = template.template.mappings as { properties: Record<string, unknown> };
    return {
      ...template,
      template: {
        ...template.template,
        mappings: { ...mappings, properties: { ...mappings.properties, [field]: mapping } },
      },
    };
  };

describe('a template change', () => {
  it('adds a new field to the live orders index in place, leaving users untouched', async () => {
    // Act
    const result = await setupSearch(client, {
      prefix,
      replicas: 0,
      templates: withOrdersField('channel', { type: 'keyword' }),
    });
    // Assess
    expect(result.kinds).toEqual({ orders: KindSetup.updated, users: KindSetup.unchanged });
    expect((await mappedFieldsOf(names.orders.versioned('1'))).channel).toEqual({
      type: 'keyword',
    });
  });

  it('refuses a changed field type when it has no table to rebuild from', async () => {
    // Act
    const setup = setupSearch(client, {
      prefix,
      replicas: 0,
      templates: withOrdersField('status', { type: 'text' }),
    });
    // Assess
    await expect(setup).rejects.toBeInstanceOf(SearchSetupError);
    await expect(setup).rejects.toMatchObject({ code: 'search.setup.rebuildNeeded' });
    expect(await aliasTargets(client, names.orders.read)).toEqual([names.orders.versioned('1')]);
    // The template keeps its old version, so the next run with a table rebuilds.
    const stored = await client.indices.getIndexTemplate({ name: names.orders.template });
    const [template] = (
      stored.body as unknown as {
        index_templates: {
          index_template: { template: { mappings: { properties: { status: object } } } };
        }[];
      }
    ).index_templates;
    expect(template?.index_template.template.mappings.properties.status).toEqual({
      type: 'keyword',
    });
  });

  it('rebuilds the indices from the table for a changed field type, and switches the aliases', async () => {
    // Prepare: a customer and an order in the table, which the rebuild reads back.
    const store = createStore({ tableName: table.tableName, client: table.client });
    const userId = `su${Date.now().toString(36)}`;
    await store.users.create({ userId, email: `${userId}@example.com`, name: 'Grace' });
    const { order } = await store.orders.create({
      userId,
      orderId: `${userId}o1`,
      items: [
        { productId: 'p1', name: 'Lamp', quantity: 1, unitPrice: { amount: 900, currency: 'EUR' } },
      ],
    });
    // Act
    const result = await setupSearch(client, {
      prefix,
      replicas: 0,
      templates: withOrdersField('status', { type: 'text' }),
      rebuildFrom: { dynamodb: table.client, tableName: table.tableName },
    });
    // Assess
    expect(result.kinds).toEqual({ orders: KindSetup.rebuilt, users: KindSetup.rebuilt });
    const [rebuilt] = await aliasTargets(client, names.orders.read);
    expect(rebuilt).not.toBe(names.orders.versioned('1'));
    expect(await aliasTargets(client, names.orders.write)).toEqual([rebuilt]);
    expect((await mappedFieldsOf(rebuilt!)).status).toEqual({ type: 'text' });
    expect((await settingsOf(rebuilt!))['index.number_of_replicas']).toBe('0');
    expect(await getDocument(client, names.orders.read, order.orderId)).toMatchObject({
      source: expect.objectContaining({ orderId: order.orderId, customerName: 'Grace' }),
    });
    expect(await getDocument(client, names.users.read, userId)).toMatchObject({
      source: expect.objectContaining({ userId, name: 'Grace' }),
    });
  });
});

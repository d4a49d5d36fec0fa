import { type RunningPipeline, startPipeline } from '../../packages/cli/src/commands/start.js';
import { resolveLocalSettings } from '../../packages/cli/src/settings.js';

/** The local settings `npm start` uses, with everything in memory and a free port for the API. */
export const inMemorySettings = () => ({
  ...resolveLocalSettings([], {}).settings,
  dataDirectory: '',
  port: '0',
});

/** Starts the whole pipeline exactly as `npm start` does, in memory, quietly. */
export const startTestPipeline = (): Promise<RunningPipeline> =>
  startPipeline(inMemorySettings(), { runner: { onLog: () => {} } });

/** An HTTP answer: status and parsed JSON body. */
export interface Answer {
  readonly status: number;
  // biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary JSON answers.
  readonly body: any;
}

/** Calls the running API with a JSON body when one is given. */
export const callApi = async (
  baseUrl: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<Answer> => {
  const response = await fetch(`${baseUrl}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? null : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
};

/** Today as the aggregates count it: `YYYY-MM-DD` in UTC. */
export const utcToday = (): string => new Date().toISOString().slice(0, 10);

/** An order line with a price in cents. */
export const line = (productId: string, name: string, quantity: number, amount: number) => ({
  productId,
  name,
  quantity,
  unitPrice: { amount, currency: 'EUR' },
});

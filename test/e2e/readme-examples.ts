import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** One request of the README's API section and the answer it documents. */
export interface ReadmeExample {
  /** The route heading it stands under: `PATCH /orders/:orderId/status`. */
  readonly route: string;
  readonly method: string;
  /** Path and query string, as sent. */
  readonly target: string;
  readonly body?: unknown;
  readonly status: number;
  readonly answer: unknown;
}

const SECTION = '## The HTTP API';
const HEADING = /^#### `(GET|POST|PATCH) (\S+)`$/;
const EXAMPLE = /```sh\n([\s\S]*?)```\s*\nanswers (\d{3}):\s*\n```json\n([\s\S]*?)```/g;

/** The curl command of an example: its method, target and `-d` body. */
const parseCurl = (command: string) => {
  const line = command.replace(/\\\n\s*/g, ' ').trim();
  const url = /\bhttp:\/\/localhost:8080(\S*?)['"]?(?:\s|$)/.exec(line)?.[1];
  if (url === undefined) throw new Error(`no http://localhost:8080 URL in ${line}`);
  const data = /\s-d '([^']*)'/.exec(line)?.[1];
  const method = /\s-X (\w+)/.exec(line)?.[1] ?? (data === undefined ? 'GET' : 'POST');
  return {
    method,
    target: url,
    ...(data === undefined ? {} : { body: JSON.parse(data) as unknown }),
  };
};

/**
 * Every example of the README's "The HTTP API" section, in order: under each
 * `` #### `METHOD /path` `` heading, a ```` ```sh ```` curl command, a line
 * `answers NNN:` and the answer as a ```` ```json ```` block.
 */
export const readmeExamples = (
  readme = readFileSync(join(process.cwd(), 'README.md'), 'utf8'),
): { headings: string[]; examples: ReadmeExample[] } => {
  const start = readme.indexOf(`\n${SECTION}\n`);
  if (start < 0) throw new Error(`README.md has no "${SECTION}" section`);
  const end = readme.indexOf('\n## ', start + SECTION.length + 1);
  const section = readme.slice(start, end < 0 ? undefined : end);
  const headings: string[] = [];
  const examples: ReadmeExample[] = [];
  const parts = section.split(/^(?=#### )/m);
  for (const part of parts) {
    const heading = HEADING.exec(part.split('\n')[0] ?? '');
    if (!heading) continue;
    const route = `${heading[1]} ${heading[2]}`;
    headings.push(route);
    for (const [, command = '', status = '', answer = ''] of part.matchAll(EXAMPLE)) {
      examples.push({
        route,
        ...parseCurl(command),
        status: Number(status),
        answer: JSON.parse(answer) as unknown,
      });
    }
  }
  return { headings, examples };
};

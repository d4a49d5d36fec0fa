import type { IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { BodyTooLargeError, InvalidJsonError, UnsupportedMediaTypeError } from '../src/errors.js';
import { searchOrdersInputFromQuery, searchUsersInputFromQuery } from '../src/query.js';
import { readJsonBody } from '../src/server.js';

/** A request stream with headers, delivering the body in the given chunks. */
const incoming = (chunks: string[], headers: Record<string, string> = {}): IncomingMessage =>
  Object.assign(Readable.from(chunks.map((chunk) => Buffer.from(chunk))), { headers }) as never;

const json = { 'content-type': 'application/json; charset=utf-8' };

describe('readJsonBody', () => {
  it('parses a JSON body sent in several chunks', async () => {
    await expect(readJsonBody(incoming(['{"a":', '1}'], json), 1024)).resolves.toEqual({ a: 1 });
  });

  it('reads an empty body as undefined whatever its content type', async () => {
    await expect(readJsonBody(incoming([]), 1024)).resolves.toBeUndefined();
  });

  it('refuses a declared length over the limit before reading', async () => {
    const request = incoming(['x'], { ...json, 'content-length': '2000' });

    await expect(readJsonBody(request, 1024)).rejects.toBeInstanceOf(BodyTooLargeError);
  });

  it('refuses a body that grows over the limit without a declared length', async () => {
    const request = incoming(
      Array.from({ length: 5 }, () => 'x'.repeat(300)),
      json,
    );

    await expect(readJsonBody(request, 1024)).rejects.toMatchObject({
      status: 413,
      code: 'api.bodyTooLarge',
    });
  });

  it('refuses a body that is not declared JSON with 415, and accepts a +json type', async () => {
    await expect(
      readJsonBody(incoming(['a=1'], { 'content-type': 'text/plain' }), 1024),
    ).rejects.toBeInstanceOf(UnsupportedMediaTypeError);
    await expect(
      readJsonBody(incoming(['{}'], { 'content-type': 'application/merge-patch+json' }), 1024),
    ).resolves.toEqual({});
  });

  it('refuses JSON that does not parse with 400', async () => {
    await expect(readJsonBody(incoming(['{"a":'], json), 1024)).rejects.toBeInstanceOf(
      InvalidJsonError,
    );
  });
});

describe('search query parameters', () => {
  it('maps q to text, splits statuses, turns digits into numbers and drops empty values', () => {
    const input = searchOrdersInputFromQuery(
      new URLSearchParams(
        'q=ada&status=paid,shipped&status=pending&maxTotal=500&size=10&userId=&cursor=abc',
      ),
    );

    expect(input).toEqual({
      text: 'ada',
      status: ['paid', 'shipped', 'pending'],
      maxTotal: 500,
      size: 10,
      cursor: 'abc',
    });
  });

  it('keeps one status as a string', () => {
    expect(searchOrdersInputFromQuery(new URLSearchParams('status=paid'))).toEqual({
      status: 'paid',
    });
    expect(searchUsersInputFromQuery(new URLSearchParams('q=lovelace&size=3'))).toEqual({
      text: 'lovelace',
      size: 3,
    });
  });

  it.each([
    ['size=-1', 'size must be a whole number from 1 to 100, not "-1"'],
    ['size=101', 'size must be a whole number from 1 to 100, not "101"'],
    ['size=2.5', 'size must be a whole number from 1 to 100, not "2.5"'],
    ['minTotal=ten', 'minTotal must be a whole number from 0 to 9007199254740991, not "ten"'],
    ['maxTotal=-5', 'maxTotal must be a whole number from 0 to 9007199254740991, not "-5"'],
  ])('refuses %s naming the parameter and its range', (query, message) => {
    expect(() => searchOrdersInputFromQuery(new URLSearchParams(query))).toThrow(
      expect.objectContaining({ code: 'api.invalidParameter', status: 400, message }),
    );
  });
});

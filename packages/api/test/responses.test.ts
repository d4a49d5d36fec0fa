import { InvalidQueryError } from '@pipeline/aggregates';
import { InvalidSearchQueryError } from '@pipeline/search';
import {
  AlreadyExistsError,
  CorruptItemError,
  EmailTakenError,
  InvalidTransitionError,
  ItemTooLargeError,
  NotFoundError,
  StaleRevisionError,
  ValidationError,
} from '@pipeline/store';
import { describe, expect, it } from 'vitest';
import { BodyTooLargeError } from '../src/errors.js';
import { errorResponse, stackFrames } from '../src/responses.js';
import { capturingLog, internalError } from './support.js';

describe('errorResponse', () => {
  it.each([
    [
      new ValidationError([{ path: 'email', message: 'Invalid email address' }]),
      400,
      'store.validation',
    ],
    [new InvalidSearchQueryError([{ path: 'sort', message: 'bad' }]), 400, 'search.invalidQuery'],
    [new InvalidQueryError('from', 'must be YYYY-MM-DD'), 400, 'aggregates.invalidQuery'],
    [new NotFoundError('Order', 'o1'), 404, 'store.notFound'],
    [new AlreadyExistsError('User', 'u1'), 409, 'store.alreadyExists'],
    [new EmailTakenError(), 409, 'user.emailTaken'],
    [new StaleRevisionError('Order', 'o1', 1, 2), 409, 'store.staleRevision'],
    [new InvalidTransitionError('o1', 'delivered', 'paid'), 409, 'order.invalidTransition'],
    [new ItemTooLargeError({ PK: 'USER#u1' }, 500_000, 400_000), 413, 'store.itemTooLarge'],
    [new BodyTooLargeError(65_536), 413, 'api.bodyTooLarge'],
  ])('maps %s to %i with its stable code and message, logging nothing', (error, status, code) => {
    const { log, entries } = capturingLog();

    const response = errorResponse(error, { requestId: 'r1', log });

    expect(response.status).toBe(status);
    expect(response.body).toMatchObject({ error: { code, message: error.message } });
    expect(entries).toHaveLength(0);
  });

  it('answers an error it does not know with 500 and the request id only, whatever its code', () => {
    const { log, entries } = capturingLog();
    const corrupt = new CorruptItemError({ PK: 'EMAIL#ada@example.com' }, 'userId missing');

    const response = errorResponse(corrupt, { requestId: 'r9', route: 'GET /x', log });

    expect(response).toEqual(internalError('r9'));
    expect(entries[0]?.details).toMatchObject({
      errorName: 'CorruptItemError',
      errorCode: 'store.corruptItem',
      route: 'GET /x',
    });
    expect(JSON.stringify(entries)).not.toContain('ada@example.com');
  });

  it('answers a thrown non-error with 500', () => {
    const { log } = capturingLog();

    expect(errorResponse('boom', { requestId: 'r1', log }).status).toBe(500);
  });
});

describe('stackFrames', () => {
  it('keeps the frames and drops the first line, which repeats the message', () => {
    const frames = stackFrames(new Error('secret ada@example.com'));

    expect(frames.length).toBeGreaterThan(0);
    expect(frames.every((frame) => frame.startsWith('at '))).toBe(true);
    expect(frames.join('\n')).not.toContain('ada@example.com');
  });
});

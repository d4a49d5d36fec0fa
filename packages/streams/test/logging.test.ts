import { describe, expect, it } from 'vitest';
import { REDACTED, redact, scrubText } from '../src/logging.js';

describe('redact', () => {
  it('drops images, keys and personal fields, and scrubs emails from free text', () => {
    const error = Object.assign(new Error('EMAIL#ada@example.com already taken'), {
      code: 'user.emailTaken',
      cause: new Error('conditional check failed for grace@example.com'),
    });

    const safe = redact({
      newImage: { email: 'ada@example.com' },
      Keys: { PK: { S: 'EMAIL#ada@example.com' } },
      name: 'Ada Lovelace',
      contactEmail: 'x@example.com',
      orderId: 'o1',
      error,
    });

    expect(safe).toEqual({
      newImage: REDACTED,
      Keys: REDACTED,
      name: REDACTED,
      contactEmail: REDACTED,
      orderId: 'o1',
      error: {
        name: 'Error',
        message: `${REDACTED} already taken`,
        code: 'user.emailTaken',
        cause: { name: 'Error', message: `conditional check failed for ${REDACTED}` },
      },
    });
  });

  it('leaves text without an email untouched', () => {
    expect(scrubText('order o1 moved to paid')).toBe('order o1 moved to paid');
  });
});

import { describe, expect, it } from 'vitest';
import { isPipelineError, PipelineError } from '../src/index.js';

type ShopErrorCode = 'shop.notFound' | 'shop.notFoundAgain' | 'shopping.closed';
class ShopError extends PipelineError<ShopErrorCode> {}
class ShopNotFoundError extends ShopError {
  constructor(id: string) {
    super('shop.notFound', `shop ${id} not found`);
  }
}

describe('PipelineError', () => {
  it('keeps its code, message, cause and the name of the class thrown', () => {
    const cause = new Error('underneath');
    const error = new ShopError('shopping.closed', 'closed', { cause });
    expect(error).toMatchObject({ code: 'shopping.closed', message: 'closed', cause });
    expect(new ShopNotFoundError('s1').name).toBe('ShopNotFoundError');
    expect(new ShopNotFoundError('s1')).toBeInstanceOf(ShopError);
  });

  it('matches its code and the prefixes above it, not a prefix that cuts a segment', () => {
    const error = new ShopNotFoundError('s1');
    expect(error.matches('shop')).toBe(true);
    expect(error.matches('shop.notFound')).toBe(true);
    expect(error.matches('shop.not')).toBe(false);
    expect(new ShopError('shopping.closed', 'closed').matches('shop')).toBe(false);
  });

  it('is told apart from other errors by isPipelineError', () => {
    expect(isPipelineError(new ShopNotFoundError('s1'), 'shop')).toBe(true);
    expect(isPipelineError(new ShopNotFoundError('s1'), 'stream')).toBe(false);
    expect(isPipelineError(new ShopNotFoundError('s1'))).toBe(true);
    expect(isPipelineError(new Error('plain'))).toBe(false);
    expect(isPipelineError({ code: 'shop.notFound' })).toBe(false);
  });
});

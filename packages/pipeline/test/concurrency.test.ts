import { describe, expect, it } from 'vitest';
import { forEachLimited } from '../src/concurrency.js';

/** Work that records how many run at once and finishes on the next macrotask. */
const tracked = () => {
  let running = 0;
  const seen = { most: 0, order: [] as number[] };
  const work = async (element: number) => {
    running++;
    seen.most = Math.max(seen.most, running);
    seen.order.push(element);
    await new Promise((resolve) => setTimeout(resolve, 1));
    running--;
  };
  return { seen, work };
};

describe('forEachLimited', () => {
  it.each([1, 3, 20])('runs every element once, at most %i at a time, in order', async (limit) => {
    const { seen, work } = tracked();
    const elements = Array.from({ length: 10 }, (_, index) => index);
    await forEachLimited(elements, limit, work);
    expect(seen.order).toEqual(elements);
    expect(seen.most).toBe(Math.min(limit, elements.length));
  });

  it('treats a limit below one as one, and an empty list as nothing to do', async () => {
    const { seen, work } = tracked();
    await forEachLimited([1, 2, 3], 0, work);
    expect(seen.most).toBe(1);
    await expect(forEachLimited([], 4, work)).resolves.toBeUndefined();
  });

  it('rejects with the first failure and starts no element after it', async () => {
    const started: number[] = [];
    const failure = new Error('element 2 failed');
    const run = forEachLimited([1, 2, 3, 4, 5], 2, async (element) => {
      started.push(element);
      await new Promise((resolve) => setTimeout(resolve, element === 2 ? 1 : 5));
      if (element === 2) throw failure;
    });
    await expect(run).rejects.toBe(failure);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(started).toEqual([1, 2]);
  });
});

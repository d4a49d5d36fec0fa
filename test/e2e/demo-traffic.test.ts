import { mulberry32, zipfSampler } from '@pipeline/chaos';
import { orderStatusTransitions } from '@pipeline/model';
import { describe, expect, it } from 'vitest';
import { demoCatalogue, nextStatus } from '../../packages/cli/src/commands/demo.js';

describe('demo traffic generator', () => {
  it('draws products by Zipf: the top rank about twice the second, and every rank reachable', () => {
    const next = zipfSampler(48, 1.1, mulberry32(1));
    const counts = new Array(48).fill(0);

    for (let draw = 0; draw < 100_000; draw++) counts[next()]++;

    const ratio = counts[0] / counts[1];
    expect(ratio).toBeGreaterThan(1.9);
    expect(ratio).toBeLessThan(2.5);
    expect(counts.every((count) => count > 0)).toBe(true);
    expect(counts[0]).toBeGreaterThan(counts[47] * 30);
  });

  it('repeats a run exactly from the same seed', () => {
    const first = mulberry32(42);
    const second = mulberry32(42);

    expect(Array.from({ length: 5 }, first)).toEqual(Array.from({ length: 5 }, second));
  });

  it('moves orders only along allowed transitions, and never out of a final status', () => {
    const random = mulberry32(3);

    for (const [from, allowed] of Object.entries(orderStatusTransitions)) {
      for (let draw = 0; draw < 200; draw++) {
        const to = nextStatus(from as keyof typeof orderStatusTransitions, random);
        if (allowed.length === 0) expect(to).toBeUndefined();
        else expect(allowed).toContain(to);
      }
    }
  });

  it('builds a catalogue of distinct valid product ids with whole-cent prices', () => {
    const catalogue = demoCatalogue(48);

    expect(new Set(catalogue.map((product) => product.productId)).size).toBe(48);
    for (const product of catalogue) {
      expect(product.productId).toMatch(/^[A-Za-z0-9_-]{1,64}$/);
      expect(Number.isInteger(product.price)).toBe(true);
    }
  });
});

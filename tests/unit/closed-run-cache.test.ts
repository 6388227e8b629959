import { ClosedRunCache } from '../../src/api/closed-run-cache';

const sized = (bytes: number) => ({ pad: 'x'.repeat(bytes - '{"pad":""}'.length) });

describe('ClosedRunCache', () => {
  it('is bounded by the bytes of its values, not their count', () => {
    const cache = new ClosedRunCache<{ pad: string }>(1000);
    for (let i = 0; i < 100; i++) cache.set(`small-${i}`, sized(10));
    expect(cache.size).toBe(100);
    expect(cache.bytes).toBe(1000);
    cache.set('big', sized(600)); // evicts the 60 oldest small ones
    expect(cache.bytes).toBeLessThanOrEqual(1000);
    expect(cache.size).toBe(41);
    expect(cache.get('small-59')).toBeUndefined();
    expect(cache.get('small-60')).toBeDefined();
    expect(cache.get('big')).toEqual(sized(600));
  });

  it('forgets the least recently read first', () => {
    const cache = new ClosedRunCache<{ pad: string }>(300);
    cache.set('a', sized(100));
    cache.set('b', sized(100));
    cache.set('c', sized(100));
    expect(cache.get('a')).toBeDefined(); // now b is the oldest
    cache.set('d', sized(100));
    expect(cache.get('b')).toBeUndefined();
    expect(['a', 'c', 'd'].map((id) => cache.get(id) !== undefined)).toEqual([true, true, true]);
  });

  it('does not keep a value larger than the whole budget, and replacing an entry counts it once', () => {
    const cache = new ClosedRunCache<{ pad: string }>(300);
    cache.set('a', sized(100));
    cache.set('huge', sized(301));
    expect(cache.get('huge')).toBeUndefined();
    expect(cache.get('a')).toBeDefined();
    cache.set('a', sized(200));
    expect(cache.bytes).toBe(200);
    expect(cache.size).toBe(1);
  });
});

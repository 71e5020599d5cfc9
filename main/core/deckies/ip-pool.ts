import { intToIp } from '../../../shared/domain/ip-range';

/** Loopback pool for the `loopback` network driver: 127.77.0.0/16, away from 127.0.0.x. */
export const LOOPBACK_POOL = { base: (127 << 24) | (77 << 16), size: 1 << 16 } as const;

/**
 * Hands out addresses of the pool that are not in `taken`, lowest first, skipping .0 and .255
 * (they look odd to a scanner). `taken` is updated, so one allocator serves a whole plan.
 */
export function createIpAllocator(taken: Set<string>, pool: { base: number; size: number } = LOOPBACK_POOL) {
  let cursor = 0;
  return (): string | null => {
    for (; cursor < pool.size; cursor++) {
      const n = (pool.base + cursor) >>> 0;
      const last = n & 255;
      if (last === 0 || last === 255) continue;
      const ip = intToIp(n);
      if (!taken.has(ip)) {
        taken.add(ip);
        cursor++;
        return ip;
      }
    }
    return null;
  };
}

/**
 * Token bucket per key (the TCP peer address; X-Forwarded-For is never trusted, so a proxy shares
 * one bucket). `limit` requests per `windowMs`, refilled continuously.
 */
export type RateLimiter = Readonly<{
  take(key: string): { ok: true } | { ok: false; retryAfterMs: number };
  size(): number;
}>;

export function createRateLimiter(
  opts: Readonly<{ limit: number; windowMs: number; now: () => number; enabled?: boolean }>,
): RateLimiter {
  const buckets = new Map<string, { tokens: number; at: number }>();
  const perMs = opts.limit / opts.windowMs;
  let lastSweep = opts.now();

  // Full buckets carry no information: drop them now and then so the map cannot grow without bound.
  const sweep = (now: number) => {
    if (now - lastSweep < opts.windowMs) return;
    lastSweep = now;
    for (const [k, b] of buckets) if (b.tokens + (now - b.at) * perMs >= opts.limit) buckets.delete(k);
  };

  return {
    take(key) {
      if (opts.enabled === false) return { ok: true };
      const now = opts.now();
      sweep(now);
      const b = buckets.get(key) ?? { tokens: opts.limit, at: now };
      b.tokens = Math.min(opts.limit, b.tokens + (now - b.at) * perMs);
      b.at = now;
      buckets.set(key, b);
      if (b.tokens >= 1) {
        b.tokens -= 1;
        return { ok: true };
      }
      return { ok: false, retryAfterMs: Math.ceil((1 - b.tokens) / perMs) };
    },
    size: () => buckets.size,
  };
}

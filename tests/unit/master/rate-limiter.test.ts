import { describe, expect, it } from 'vitest';
import { createRateLimiter } from '../../../main/core/console-api/rate-limiter';

describe('rate limiter', () => {
  it('allows the limit per window per key, then refuses with a retry hint, then refills', () => {
    let now = 0;
    const rl = createRateLimiter({ limit: 10, windowMs: 60_000, now: () => now });
    for (let i = 0; i < 10; i++) expect(rl.take('1.2.3.4').ok).toBe(true);
    const refused = rl.take('1.2.3.4');
    expect(refused).toEqual({ ok: false, retryAfterMs: 6000 });
    expect(rl.take('5.6.7.8').ok).toBe(true); // other peers have their own bucket
    now += 6000;
    expect(rl.take('1.2.3.4').ok).toBe(true);
    expect(rl.take('1.2.3.4').ok).toBe(false);
  });

  it('is a no-op when disabled', () => {
    const rl = createRateLimiter({ limit: 1, windowMs: 60_000, now: () => 0, enabled: false });
    for (let i = 0; i < 100; i++) expect(rl.take('k').ok).toBe(true);
  });

  it('forgets idle peers so the table cannot grow without bound', () => {
    let now = 0;
    const rl = createRateLimiter({ limit: 5, windowMs: 1000, now: () => now });
    for (let i = 0; i < 1000; i++) rl.take(`peer-${i}`);
    expect(rl.size()).toBe(1000);
    now += 2000;
    rl.take('late');
    expect(rl.size()).toBe(1);
  });
});

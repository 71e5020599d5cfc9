import { createFetcher, fetchLimits, type Fetcher } from './fetcher';
import {
  openQuarantine,
  quarantineDir,
  quarantineLimits,
  recordingLimits,
  recordingsDir,
  type Quarantine,
} from './quarantine';

/**
 * What an ssh or telnet service needs for payload capture: the decky's quarantine (one per
 * directory in this process, so both services of a decky share its counters) and the fetcher when
 * the persona's `fetch` is on.
 */
const open = new Map<string, Promise<Quarantine>>();

export function quarantineFor(deckyDataDir: string, what: 'payloads' | 'recordings' = 'payloads'): Promise<Quarantine> {
  const dir = what === 'payloads' ? quarantineDir(deckyDataDir) : recordingsDir(deckyDataDir);
  let q = open.get(dir);
  if (!q) {
    q = openQuarantine(dir, what === 'payloads' ? quarantineLimits : recordingLimits);
    // A failed open is retried by the next session instead of failing every one after it.
    q.catch(() => open.delete(dir));
    open.set(dir, q);
  }
  return q;
}

/** Quarantine writes under way in this process (a session's last capture runs after its socket closed). */
const inflight = new Set<Promise<unknown>>();

export function trackPayload<T>(p: Promise<T>): Promise<T> {
  inflight.add(p);
  void p.then(
    () => inflight.delete(p),
    () => inflight.delete(p),
  );
  return p;
}

/** Resolves once every capture started so far is on disk: a service's close waits for it. */
export async function settlePayloads(): Promise<void> {
  while (inflight.size) await Promise.allSettled([...inflight]);
}

/** Loopback is allowed only for integration tests, by the host process's environment. */
export function fetcherFor(fetch: boolean): Fetcher | null {
  if (!fetch) return null;
  return createFetcher({
    ...fetchLimits,
    maxBytes: Math.min(fetchLimits.maxBytes, quarantineLimits.maxFileBytes),
    allowLoopback: process.env.DECNET_FETCH_ALLOW_LOOPBACK === '1',
  });
}

import type tls from 'node:tls';

/** Bounds of a server-side TLS session cache: total bytes (ids + serialized sessions), entries, lifetime. */
export type SessionCacheLimits = Readonly<{ maxBytes: number; maxEntries: number; lifetimeS: number }>;

/**
 * Debian's mod_ssl (ssl.conf): `SSLSessionCache shmcb:…(512000)` and `SSLSessionCacheTimeout 300`.
 * shmcb keeps about 4,000 sessions in 512,000 bytes; the entry cap also bounds the Map's own overhead.
 */
export const modSslSessionCache: SessionCacheLimits = { maxBytes: 512_000, maxEntries: 4_096, lifetimeS: 300 };

type Entry = { data: Buffer; expires: number; bytes: number };

/**
 * Resumption by session ID as mod_ssl does it, for a TLS server whose tickets are off: Node's TLS
 * keeps no session cache of its own (OpenSSL's internal one is disabled), so without these handlers
 * a returning client's session ID (TLS 1.2) or stateful ticket (TLS 1.3) always costs a full
 * handshake, where the real product resumes. Oldest entries go first when a bound is reached, as
 * shmcb overwrites its oldest sessions.
 */
export function attachSessionCache(server: tls.Server, limits: SessionCacheLimits, now = Date.now): void {
  const cache = new Map<string, Entry>();
  let bytes = 0;
  const drop = (key: string, e: Entry) => {
    cache.delete(key);
    bytes -= e.bytes;
  };
  server.on('newSession', (id: Buffer, data: Buffer, done: () => void) => {
    const key = id.toString('hex');
    const old = cache.get(key);
    if (old) drop(key, old);
    const e: Entry = { data, expires: now() + limits.lifetimeS * 1000, bytes: id.length + data.length };
    if (e.bytes <= limits.maxBytes) {
      for (const [k, v] of cache) {
        if (bytes + e.bytes <= limits.maxBytes && cache.size < limits.maxEntries && v.expires > now()) break;
        drop(k, v);
      }
      cache.set(key, e);
      bytes += e.bytes;
    }
    done();
  });
  server.on('resumeSession', (id: Buffer, done: (err: Error | null, data: Buffer | null) => void) => {
    const key = id.toString('hex');
    const e = cache.get(key);
    if (e && e.expires <= now()) drop(key, e);
    done(null, e && e.expires > now() ? e.data : null);
  });
}

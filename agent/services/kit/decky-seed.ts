import { createHash } from 'node:crypto';
import type { DeckyConfig } from '../../../shared/domain/decky';

/** Per decky (a parsed config is never changed in place), its derived bytes by label and length. */
const derived = new WeakMap<DeckyConfig, Map<string, Buffer>>();

/**
 * Stable per-decky bytes for values a real machine picks once (server GUIDs, NTLM challenges,
 * serial numbers, boot times). Constants shared by every decky are the classic honeypot tell
 * (botnets circulate them), and values that change per connection are a tell of their own.
 */
export function deckyBytes(decky: DeckyConfig, label: string, length: number): Buffer {
  // Services ask per request (the http page's mtime, its Allow order): derived once per decky and
  // label, since two SHA-256s a request were ~4% of a busy http decky's CPU (bench/peers.bench.ts).
  let known = derived.get(decky);
  if (!known) derived.set(decky, (known = new Map<string, Buffer>()));
  const key = `${label}\0${length}`;
  let bytes = known.get(key);
  if (!bytes) {
    const out: Buffer[] = [];
    for (let i = 0; out.length * 32 < length; i++) {
      out.push(createHash('sha256').update(`${decky.name}\0${decky.ip}\0${label}\0${i}`).digest());
    }
    bytes = Buffer.concat(out).subarray(0, length);
    // Labels are the services' own constants; the bound only keeps a bug from growing the map.
    if (known.size < 256) known.set(key, bytes);
  }
  return Buffer.from(bytes);
}

/** A stable integer in [min, max] for this decky and label. */
export function deckyInt(decky: DeckyConfig, label: string, min: number, max: number): number {
  return min + (deckyBytes(decky, label, 4).readUInt32BE(0) % (max - min + 1));
}

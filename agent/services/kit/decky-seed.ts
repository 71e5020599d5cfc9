import { createHash } from 'node:crypto';
import type { DeckyConfig } from '../../../shared/domain/decky';

/**
 * Stable per-decky bytes for values a real machine picks once (server GUIDs, NTLM challenges,
 * serial numbers, boot times). Constants shared by every decky are the classic honeypot tell
 * (botnets circulate them), and values that change per connection are a tell of their own.
 */
export function deckyBytes(decky: DeckyConfig, label: string, length: number): Buffer {
  const out: Buffer[] = [];
  for (let i = 0; out.length * 32 < length; i++) {
    out.push(createHash('sha256').update(`${decky.name}\0${decky.ip}\0${label}\0${i}`).digest());
  }
  return Buffer.concat(out).subarray(0, length);
}

/** A stable integer in [min, max] for this decky and label. */
export function deckyInt(decky: DeckyConfig, label: string, min: number, max: number): number {
  return min + (deckyBytes(decky, label, 4).readUInt32BE(0) % (max - min + 1));
}

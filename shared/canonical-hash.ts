import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';

/**
 * Keys that describe the observation of a topology rather than the topology itself. They are
 * removed at every nesting level before hashing, so a status flip or a resync flag never changes
 * the hash (the original kept its resync flag in the hash and ping-ponged, its §13.4).
 */
export const volatileKeys: ReadonlySet<string> = new Set([
  'createdAt',
  'updatedAt',
  'statusChangedAt',
  'appliedAt',
  'lastSeen',
  'status',
  'version',
  'lastError',
  'needsResync',
  'x',
  'y',
  'w',
  'h',
]);

/**
 * Canonical JSON: object keys sorted by code point, volatile keys dropped, no whitespace,
 * non-ASCII escaped as \uXXXX, `undefined` members omitted. The input is not mutated.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new TypeError('canonicalJson: non-finite number');
    return JSON.stringify(value);
  }
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'string') return asciiString(value);
  if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v)).join(',')}]`;
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([k, v]) => v !== undefined && !volatileKeys.has(k))
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${asciiString(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  throw new TypeError(`canonicalJson: unsupported ${typeof value}`);
}

function asciiString(s: string): string {
  return JSON.stringify(s).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** SHA-256 (lowercase hex) of the canonical JSON of a hydrated topology; master and agent both use it. */
export function canonicalHash(hydrated: unknown): string {
  return bytesToHex(sha256(utf8ToBytes(canonicalJson(hydrated))));
}

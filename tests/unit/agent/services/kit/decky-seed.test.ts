import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { deckyBytes, deckyInt } from '../../../../../agent/services/kit/decky-seed';
import { newSessionId } from '../../../../../agent/services/kit/tcp-listener';
import { DeckyConfig } from '../../../../../shared/domain/decky';

const decky = (name: string, ip: string) =>
  DeckyConfig.parse({ name, ip, hostname: name, distro: 'debian', services: ['http'] });

describe('per-decky seeds', () => {
  it('are SHA-256 of name, address and label, the same on every call, and a copy each time', () => {
    const d = decky('web-1', '198.51.100.7');
    const input = ['web-1', '198.51.100.7', 'smb-server-guid', '0'].join('\u0000');
    const want = createHash('sha256').update(input).digest().subarray(0, 16);
    const first = deckyBytes(d, 'smb-server-guid', 16);
    expect(first).toEqual(want);
    first.fill(0); // a caller changing its bytes changes nobody else's
    expect(deckyBytes(d, 'smb-server-guid', 16)).toEqual(want);
    expect(deckyBytes(d, 'smb-server-guid', 40)).toHaveLength(40);
    expect(deckyInt(d, 'http-index-mtime', 10, 20)).toBe(
      deckyInt(decky('web-1', '198.51.100.7'), 'http-index-mtime', 10, 20),
    );
  });

  it('differ between deckies and between labels', () => {
    const a = decky('web-1', '198.51.100.7');
    const b = decky('web-2', '198.51.100.8');
    expect(deckyBytes(a, 'x', 16)).not.toEqual(deckyBytes(b, 'x', 16));
    expect(deckyBytes(a, 'x', 16)).not.toEqual(deckyBytes(a, 'y', 16));
  });
});

describe('session ids', () => {
  it('are 12 hex characters and do not repeat across pooled blocks', () => {
    const ids = Array.from({ length: 5_000 }, () => newSessionId());
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{12}$/);
    expect(new Set(ids).size).toBe(ids.length);
  });
});

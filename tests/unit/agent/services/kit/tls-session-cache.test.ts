import { EventEmitter } from 'node:events';
import type tls from 'node:tls';
import { describe, expect, it } from 'vitest';
import { attachSessionCache } from '../../../../../agent/services/kit/tls-session-cache';

/** A stand-in for tls.Server: only the two session events are used. */
function harness(limits: { maxBytes: number; maxEntries: number; lifetimeS: number }) {
  const server = new EventEmitter();
  let clock = 1_000_000;
  attachSessionCache(server as unknown as tls.Server, limits, () => clock);
  const put = (id: string, bytes: number) =>
    server.emit('newSession', Buffer.from(id), Buffer.alloc(bytes - id.length, id), () => undefined);
  const get = (id: string): Buffer | null => {
    let got: Buffer | null | undefined;
    server.emit('resumeSession', Buffer.from(id), (_err: Error | null, data: Buffer | null) => (got = data));
    if (got === undefined) throw new Error('resumeSession did not answer');
    return got;
  };
  return { put, get, advance: (ms: number) => (clock += ms) };
}

describe('TLS session cache (resumption by session ID)', () => {
  it('returns a stored session until its lifetime ends', () => {
    const c = harness({ maxBytes: 10_000, maxEntries: 10, lifetimeS: 300 });
    c.put('a', 100);
    expect(c.get('a')?.length).toBe(99);
    expect(c.get('b')).toBeNull();
    c.advance(299_000);
    expect(c.get('a')).not.toBeNull();
    c.advance(1_000);
    expect(c.get('a')).toBeNull();
  });

  it('drops the oldest sessions to stay within the byte and entry bounds', () => {
    const bytes = harness({ maxBytes: 300, maxEntries: 100, lifetimeS: 300 });
    for (const id of ['a', 'b', 'c', 'd']) bytes.put(id, 100);
    expect(['a', 'b', 'c', 'd'].map((id) => bytes.get(id) !== null)).toEqual([false, true, true, true]);
    bytes.put('big', 301);
    expect(bytes.get('big')).toBeNull();

    const entries = harness({ maxBytes: 10_000, maxEntries: 2, lifetimeS: 300 });
    for (const id of ['a', 'b', 'c']) entries.put(id, 10);
    expect(['a', 'b', 'c'].map((id) => entries.get(id) !== null)).toEqual([false, true, true]);
  });

  it('replacing a session under the same ID keeps the byte count right', () => {
    const c = harness({ maxBytes: 200, maxEntries: 10, lifetimeS: 300 });
    for (let i = 0; i < 5; i++) c.put('a', 100);
    c.put('b', 100);
    expect([c.get('a'), c.get('b')].map((x) => x !== null)).toEqual([true, true]);
  });
});

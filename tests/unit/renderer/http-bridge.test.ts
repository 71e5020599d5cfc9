// @vitest-environment jsdom
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { DecnetBridge } from '../../../shared/ipc/types';

const win = window as Window & { decnet?: DecnetBridge };

type Sent = { url: string; init: RequestInit };

type Stub = { status: number; body: unknown } | { stream: ReadableStream<Uint8Array> };

function stubFetch(responses: Record<string, Stub>): Sent[] {
  const sent: Sent[] = [];
  vi.stubGlobal('fetch', (url: string, init: RequestInit) => {
    sent.push({ url, init });
    const r = responses[url] ?? { status: 404, body: null };
    if ('stream' in r) return Promise.resolve(new Response(r.stream, { status: 200 }));
    return Promise.resolve(new Response(JSON.stringify(r.body), { status: r.status }));
  });
  return sent;
}

/** An SSE body the test writes to, as the console API would. */
function sseStream() {
  let ctl!: ReadableStreamDefaultController<Uint8Array>;
  const stream = new ReadableStream<Uint8Array>({ start: (c) => void (ctl = c) });
  return {
    stream,
    write: (text: string) => ctl.enqueue(new TextEncoder().encode(text)),
    end: () => ctl.close(),
  };
}

const until = async (cond: () => boolean) => {
  for (let i = 0; i < 200 && !cond(); i++) await new Promise((r) => setTimeout(r, 5));
  expect(cond()).toBe(true);
};

// The module keeps the chosen bridge; each test gets a fresh copy.
const load = async () => {
  vi.resetModules();
  return import('../../../renderer/src/api/bridge');
};

beforeEach(() => {
  sessionStorage.clear();
  delete win.decnet;
});
afterEach(() => vi.unstubAllGlobals());

describe('HTTP bridge (browser mode)', () => {
  it('logs in, sends the bearer token with the command input, and unwraps the Result', async () => {
    const sent = stubFetch({
      '/api/v1/auth/login': { status: 200, body: { token: 't0k' } },
      '/api/v1/rpc/hosts.check': {
        status: 200,
        body: { ok: true, value: { reachable: true, version: '0.1.0', error: null } },
      },
    });
    const bridge = await load();
    expect(bridge.needsLogin()).toBe(true);
    await bridge.login('pw');
    expect(bridge.needsLogin()).toBe(false);
    expect(JSON.parse(sent[0]!.init.body as string)).toEqual({ username: 'admin', password: 'pw' });

    const value = await bridge.call('hosts.check', { hostUuid: '00000000-0000-4000-8000-000000000001' });
    expect(value.reachable).toBe(true);
    expect((sent[1]!.init.headers as Record<string, string>).authorization).toBe('Bearer t0k');
    expect(JSON.parse(sent[1]!.init.body as string)).toEqual({ hostUuid: '00000000-0000-4000-8000-000000000001' });
  });

  it('throws the AppError of a failed Result, and a 401 sends the analyst back to the login screen', async () => {
    stubFetch({
      '/api/v1/rpc/hosts.list': {
        status: 401,
        body: { ok: false, error: { code: 'UNAUTHENTICATED', message: 'token expired' } },
      },
      '/api/v1/rpc/deckies.list': { status: 409, body: { ok: false, error: { code: 'CONFLICT', message: 'busy' } } },
    });
    sessionStorage.setItem('decnet.token', 'old');
    const bridge = await load();
    expect(bridge.needsLogin()).toBe(false);
    await expect(bridge.call('deckies.list', {})).rejects.toMatchObject({ code: 'CONFLICT', message: 'busy' });
    const err: unknown = await bridge.call('hosts.list', {}).catch((e: unknown) => e);
    // resetModules gives the bridge its own copy of shared/errors, hence no instanceof here.
    expect(err).toMatchObject({ name: 'AppError', code: 'UNAUTHENTICATED' });
    expect(bridge.needsLogin()).toBe(true);
  });

  it('reads server-sent events with the token in the Authorization header, never in the URL', async () => {
    const sse = sseStream();
    const sent = stubFetch({ '/api/v1/events': { stream: sse.stream } });
    sessionStorage.setItem('decnet.token', 'abc');
    const bridge = await load();
    const got: unknown[] = [];
    const off = bridge.getBridge().on('hosts.changed', (p) => got.push(p));
    expect(sent[0]!.url).toBe('/api/v1/events');
    expect((sent[0]!.init.headers as Record<string, string>).authorization).toBe('Bearer abc');
    // Split across chunks, with a comment, a non-contract name and CRLF line ends.
    sse.write('retry: 3000\n: connected\n\nevent: hosts.changed\ndata: {"hostUu');
    sse.write(
      'ids":["x"]}\n\nevent: not.a.contract.event\ndata: {}\n\r\nevent: hosts.changed\r\ndata: {"hostUuids":[]}\r\n\r\n',
    );
    await until(() => got.length === 2);
    expect(got).toEqual([{ hostUuids: ['x'] }, { hostUuids: [] }]);
    off();
    expect((sent[0]!.init.signal as AbortSignal).aborted).toBe(true);
  });

  it('a stream refused with 401 (session expired or logged out) sends the analyst to the login screen', async () => {
    stubFetch({ '/api/v1/events': { status: 401, body: { error: { code: 'UNAUTHENTICATED', message: 'x' } } } });
    sessionStorage.setItem('decnet.token', 'gone');
    const bridge = await load();
    bridge.getBridge().on('hosts.changed', () => undefined);
    await until(() => bridge.needsLogin());
  });

  it('logout revokes the session on the master and forgets the token', async () => {
    const sent = stubFetch({ '/api/v1/auth/logout': { status: 200, body: { ok: true } } });
    sessionStorage.setItem('decnet.token', 't1');
    const bridge = await load();
    expect(bridge.needsLogin()).toBe(false);
    bridge.logout();
    expect(bridge.needsLogin()).toBe(true);
    await until(() => sent.length === 1);
    expect(sent[0]!.url).toBe('/api/v1/auth/logout');
    expect((sent[0]!.init.headers as Record<string, string>).authorization).toBe('Bearer t1');
  });

  it('uses window.decnet when the Electron preload installed it', async () => {
    const invoke = vi.fn().mockResolvedValue({ ok: true, value: [] });
    win.decnet = { invoke, on: () => () => undefined };
    const bridge = await load();
    expect(await bridge.call('hosts.list', {})).toEqual([]);
    expect(invoke).toHaveBeenCalledWith('hosts.list', {});
    expect(bridge.needsLogin()).toBe(false);
  });
});

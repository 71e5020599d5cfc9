// @vitest-environment jsdom
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { DecnetBridge } from '../../../shared/ipc/types';

const win = window as Window & { decnet?: DecnetBridge };

type Sent = { url: string; init: RequestInit };

class FakeEventSource {
  static CLOSED = 2;
  static last: FakeEventSource | null = null;
  readyState = 1;
  onerror: (() => void) | null = null;
  handlers = new Map<string, (ev: MessageEvent<string>) => void>();
  constructor(readonly url: string) {
    FakeEventSource.last = this;
  }
  addEventListener(name: string, h: (ev: MessageEvent<string>) => void): void {
    this.handlers.set(name, h);
  }
  close(): void {
    this.readyState = 2;
  }
}

function stubFetch(responses: Record<string, { status: number; body: unknown }>): Sent[] {
  const sent: Sent[] = [];
  vi.stubGlobal('fetch', (url: string, init: RequestInit) => {
    sent.push({ url, init });
    const r = responses[url] ?? { status: 404, body: null };
    return Promise.resolve(new Response(JSON.stringify(r.body), { status: r.status }));
  });
  return sent;
}

// The module keeps the chosen bridge; each test gets a fresh copy.
const load = async () => {
  vi.resetModules();
  return import('../../../renderer/src/api/bridge');
};

beforeEach(() => {
  sessionStorage.clear();
  delete win.decnet;
  vi.stubGlobal('EventSource', FakeEventSource);
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

  it('delivers server-sent events by contract name to subscribers', async () => {
    stubFetch({});
    sessionStorage.setItem('decnet.token', 'abc');
    const bridge = await load();
    const got: unknown[] = [];
    const off = bridge.getBridge().on('hosts.changed', (p) => got.push(p));
    const es = FakeEventSource.last!;
    expect(es.url).toBe('/api/v1/events?token=abc');
    es.handlers.get('hosts.changed')!(
      new MessageEvent('hosts.changed', { data: JSON.stringify({ hostUuids: ['x'] }) }),
    );
    expect(got).toEqual([{ hostUuids: ['x'] }]);
    off();
    expect(es.readyState).toBe(FakeEventSource.CLOSED);
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

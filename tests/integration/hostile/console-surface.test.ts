import { connect as tcpConnect, type Socket } from 'node:net';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { Agent as UndiciAgent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEventBus } from '../../../main/core/bus';
import { createSessions } from '../../../main/core/console-api/auth';
import { createRateLimiter } from '../../../main/core/console-api/rate-limiter';
import { consoleBounds, startConsoleApi } from '../../../main/core/console-api/server';
import type { CommandHandlers } from '../../../shared/ipc/types';
import { silentLogger } from '../../../shared/node/logger';
import { eventually } from '../../helpers/eventually';
import { makeTmpDir } from '../../helpers/tmp-dir';
import { startBareConsole } from './bare-console';
import { ADMIN_PASSWORD, freePort, startMaster, type TestMaster } from '../master/harness';

// The console API against hostile browsers and clients: DNS rebinding, tokens in URLs, streams that
// outlive their session, logout, and connection floods. A real master and a real HTTP client.
let tmp: { dir: string; remove: () => Promise<void> };
let m: TestMaster;
let api: string;
let port: number;

beforeAll(async () => {
  tmp = await makeTmpDir('decnet-hostile-console-');
  m = await startMaster({ dataDir: join(tmp.dir, 'master'), agentPort: await freePort() });
  api = m.started.api!.url;
  port = Number(new URL(api).port);
});
afterAll(async () => {
  await m?.stop();
  await tmp?.remove();
});

async function post(path: string, body: unknown, headers: Record<string, string> = {}) {
  const res = await request(`${api}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  const text = await res.body.text();
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- answers are checked field by field
  const answer: any = text ? JSON.parse(text) : null;
  return { status: res.statusCode, body: answer };
}

async function login(): Promise<string> {
  const r = await post('/api/v1/auth/login', { username: 'admin', password: ADMIN_PASSWORD });
  expect(r.status).toBe(200);
  return r.body.token as string;
}

/** Opens the event stream and collects its text until it ends. */
async function openStream(base: string, token: string) {
  const res = await request(`${base}/api/v1/events`, { headers: { authorization: `Bearer ${token}` } });
  let text = '';
  let ended = false;
  void (async () => {
    try {
      for await (const chunk of res.body) text += (chunk as Buffer).toString();
    } catch {
      /* reset counts as ended too */
    }
    ended = true;
  })();
  return { status: res.statusCode, text: () => text, ended: () => ended, close: () => res.body.destroy() };
}

describe('console API Host header (DNS rebinding)', () => {
  it('refuses a foreign Host with 403 before login, the UI included; serves its own address and localhost', async () => {
    for (const host of ['evil.example', 'evil.example:' + port, '127.0.0.1.evil.example', 'localhost.evil.example']) {
      const r = await post('/api/v1/auth/login', { username: 'admin', password: ADMIN_PASSWORD }, { host });
      expect(r.status, host).toBe(403);
      expect(r.body).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
      expect(r.body.error.message).toMatch(/DECNET_API_ALLOWED_HOSTS/);
      const ui = await request(`${api}/`, { headers: { host } });
      expect(ui.statusCode).toBe(403);
      await ui.body.dump();
    }
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, 'LOCALHOST', `[::1]:${port}`]) {
      const r = await post('/api/v1/auth/login', { username: 'admin', password: 'wrong-password' }, { host });
      expect(r.status, host).toBe(401);
    }
  });

  it('a name in DECNET_API_ALLOWED_HOSTS is served', async () => {
    const dir = join(tmp.dir, 'allowed');
    const m2 = await startMaster({
      dataDir: dir,
      agentPort: await freePort(),
      env: { DECNET_API_ALLOWED_HOSTS: 'decnet.corp.example' },
    });
    try {
      const url = m2.started.api!.url;
      const ok = await request(`${url}/api/v1/rpc/hosts.list`, {
        method: 'POST',
        headers: { host: 'decnet.corp.example:443', 'content-type': 'application/json' },
        body: '{}',
      });
      expect(ok.statusCode).toBe(401); // past the Host check, at the token check
      await ok.body.dump();
      const bad = await request(`${url}/api/v1/rpc/hosts.list`, { method: 'POST', headers: { host: 'other.example' } });
      expect(bad.statusCode).toBe(403);
      await bad.body.dump();
    } finally {
      await m2.stop();
    }
  });
});

describe('console API sessions', () => {
  it('refuses a token in the URL, even a valid one', async () => {
    const token = await login();
    const r = await request(`${api}/api/v1/events?token=${token}`);
    expect(r.statusCode).toBe(400);
    expect(await r.body.json()).toMatchObject({ ok: false, error: { code: 'INVALID_INPUT' } });
  });

  it('logout revokes the token: RPC gets 401 and the open event stream ends', async () => {
    const token = await login();
    const auth = { authorization: `Bearer ${token}` };
    expect((await post('/api/v1/rpc/hosts.list', {}, auth)).status).toBe(200);
    const stream = await openStream(api, token);
    expect(stream.status).toBe(200);
    await eventually(() => stream.text().includes(': connected'), { what: 'stream open' });
    const out = await post('/api/v1/auth/logout', {}, auth);
    expect(out).toEqual({ status: 200, body: { ok: true } });
    await eventually(() => stream.ended(), { what: 'stream ended after logout' });
    expect(stream.text()).toMatch(/: session ended/);
    expect((await post('/api/v1/rpc/hosts.list', {}, auth)).status).toBe(401);
    expect((await post('/api/v1/auth/logout', {}, auth)).status).toBe(401);
    expect((await post('/api/v1/auth/logout', {})).status).toBe(401);
    const again = await request(`${api}/api/v1/events`, { headers: auth });
    expect(again.statusCode).toBe(401);
    await again.body.dump();
  });

  it('an event stream ends when its token expires, and only that stream', async () => {
    // The session TTL has a 60 s floor in the config, so this drives the sessions' clock directly.
    let now = 1_000_000;
    const sessions = createSessions({ ttlMs: 60_000, now: () => now });
    const events = createEventBus();
    const limiter = createRateLimiter({ limit: 1000, windowMs: 1000, now: () => Date.now() });
    const own = await startConsoleApi({
      host: '127.0.0.1',
      port: 0,
      handlers: {} as CommandHandlers,
      events,
      sessions,
      adminPassword: 'x'.repeat(16),
      loginLimiter: limiter,
      rpcLimiter: limiter,
      corsOrigins: [],
      staticDir: join(tmp.dir, 'none'),
      log: silentLogger,
    });
    try {
      const early = sessions.issue().token;
      now += 30_000;
      const late = sessions.issue().token;
      const a = await openStream(own.url, early);
      const b = await openStream(own.url, late);
      events.emit('hosts.changed', { hostUuids: ['one'] });
      await eventually(() => a.text().includes('"one"') && b.text().includes('"one"'), { what: 'both streams live' });
      now += 31_000; // early has expired, late has 29 s left
      await eventually(() => a.ended(), { what: 'expired stream ended' });
      events.emit('hosts.changed', { hostUuids: ['two'] });
      await eventually(() => b.text().includes('"two"'), { what: 'live stream still delivers' });
      expect(a.text()).not.toMatch(/"two"/);
      expect(b.ended()).toBe(false);
      b.close();
    } finally {
      await own.close();
    }
  });
});

describe('console API connection bounds', () => {
  it('caps the connections one source holds, and drops a client that never finishes its headers', async () => {
    const sockets: Socket[] = [];
    let closed = 0;
    try {
      const extra = 10;
      for (let i = 0; i < consoleBounds.maxConnectionsPerSource + extra; i++) {
        const s = tcpConnect({ host: '127.0.0.1', port });
        s.on('error', () => undefined);
        s.on('close', () => closed++);
        sockets.push(s);
      }
      await eventually(() => closed >= extra, { what: 'connections above the per-source cap closed' });
      expect(closed).toBeLessThanOrEqual(extra + 2);
      sockets.forEach((s) => s.destroy());
      await eventually(() => closed === sockets.length, { what: 'all closed' });
      // Slowloris: half a request line, then silence. The headers timeout closes it.
      const slow = tcpConnect({ host: '127.0.0.1', port });
      slow.on('error', () => undefined);
      let slowClosed = false;
      let answer = '';
      slow.on('data', (b: Buffer) => (answer += b.toString()));
      slow.on('close', () => (slowClosed = true));
      slow.write('POST /api/v1/auth/login HTTP/1.1\r\nHost: 127.0.0.1\r\n');
      const t0 = Date.now();
      await eventually(() => slowClosed, { timeoutMs: consoleBounds.headersTimeoutMs + 5000, what: 'slow client cut' });
      expect(Date.now() - t0).toBeLessThan(consoleBounds.headersTimeoutMs + 3000);
      expect(answer).toMatch(/^HTTP\/1\.1 408/);
    } finally {
      sockets.forEach((s) => s.destroy());
    }
  }, 30_000);
});

// Last: the 15 MB bodies leave sockets draining that would eat into the per-source cap above.
describe('console API body bounds', () => {
  it('32 parallel 15 MB bodies, declared or streamed, to login and to an RPC get 413 and barely move RSS', async () => {
    const token = await login();
    const dispatcher = new UndiciAgent({ connections: 64 });
    try {
      global.gc?.();
      const before = process.memoryUsage().rss;
      const chunk = Buffer.alloc(1024 * 1024, 0x41);
      const big = Buffer.alloc(15 * 1024 * 1024, 0x41); // one buffer for every declared body
      // Streamed without content-length: the limit must hold while reading, not only on the header.
      const streamed = () =>
        Readable.from(
          (function* () {
            yield Buffer.from('{"name":"');
            for (let i = 0; i < 15; i++) yield chunk;
          })(),
        );
      const results = await Promise.all(
        Array.from({ length: 32 }, (_, i) =>
          request(`${api}${i % 2 ? '/api/v1/auth/login' : '/api/v1/rpc/hosts.enroll'}`, {
            method: 'POST',
            dispatcher,
            headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
            body: i % 4 < 2 ? streamed() : big,
          }).then(
            async (r) => (await r.body.dump(), r.statusCode),
            () => 'reset',
          ),
        ),
      );
      // Login is rate-limited before its body is read (429), which bounds it just as well.
      for (const r of results) expect([413, 429, 'reset']).toContain(r);
      expect(results.filter((r) => r === 413).length).toBeGreaterThan(0);
      const grownMb = (process.memoryUsage().rss - before) / 2 ** 20;
      // 32 buffered bodies would be ~480 MB before parsing.
      expect(grownMb).toBeLessThan(200);
      expect((await m.call('hosts.list', {})).length).toBe(0);
    } finally {
      await dispatcher.close();
    }
  }, 60_000);

  it('a body that trickles in is cut at the request timeout (a listener built with short bounds)', async () => {
    const bounds = { headersTimeoutMs: 1000, requestTimeoutMs: 2000 };
    const { api: own, sessions, port: ownPort } = await startBareConsole(tmp.dir, bounds);
    const slow = tcpConnect({ host: '127.0.0.1', port: ownPort });
    let drip: NodeJS.Timeout | undefined;
    try {
      let answer = '';
      let closed = false;
      slow.on('data', (b: Buffer) => (answer += b.toString()));
      slow.on('close', () => (closed = true));
      slow.on('error', () => undefined);
      const head = [
        'POST /api/v1/rpc/hosts.list HTTP/1.1',
        'Host: 127.0.0.1',
        `Authorization: Bearer ${sessions.issue().token}`,
        'Content-Type: application/json',
        'Content-Length: 1000',
      ];
      slow.write(`${head.join('\r\n')}\r\n\r\n{`);
      // The attacker's pace, not a wait of the test: a space every 200 ms keeps the socket busy.
      drip = setInterval(() => slow.write(' '), 200);
      const t0 = Date.now();
      await eventually(() => closed, { timeoutMs: 10_000, what: 'trickling client cut' });
      expect(Date.now() - t0).toBeLessThan(bounds.requestTimeoutMs + 2500);
      expect(answer).toMatch(/^HTTP\/1\.1 408/);
    } finally {
      clearInterval(drip);
      slow.destroy();
      await own.close();
    }
  });
});

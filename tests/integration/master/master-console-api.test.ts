import { join } from 'node:path';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTmpDir } from '../../helpers/tmp-dir';
import { eventually } from '../../helpers/eventually';
import { ADMIN_PASSWORD, freePort, loopbackBlock, settled, startMaster, type TestMaster } from './harness';

// The headless console API of a real master with its EMBEDDED LOCAL AGENT (the unihost default):
// a fresh install deploys real deckies with zero set-up.
let tmp: { dir: string; remove: () => Promise<void> };
let m: TestMaster;
let api: string;
const ip = loopbackBlock();

beforeAll(async () => {
  tmp = await makeTmpDir('decnet-master-api-');
  m = await startMaster({ dataDir: join(tmp.dir, 'master'), agentPort: await freePort(), localAgent: true });
  api = m.started.api!.url;
});

afterAll(async () => {
  await m?.stop();
  await tmp?.remove();
});

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- answers are checked field by field
type Json = any;

async function post(path: string, body: unknown, token?: string, headers: Record<string, string> = {}) {
  const res = await request(`${api}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return {
    status: res.statusCode,
    body: (await res.body.json()) as Record<string, unknown> & {
      value?: Json;
      error?: { code: string; message: string };
    },
  };
}

async function login(): Promise<string> {
  const r = await post('/api/v1/auth/login', { username: 'admin', password: ADMIN_PASSWORD });
  expect(r.status).toBe(200);
  return r.body.token as string;
}

describe('console RPC API', () => {
  it('refuses calls without a valid token', async () => {
    const none = await post('/api/v1/rpc/hosts.list', {});
    expect(none).toMatchObject({ status: 401, body: { ok: false, error: { code: 'UNAUTHENTICATED' } } });
    const forged = await post('/api/v1/rpc/hosts.list', {}, 'not-a-token');
    expect(forged.status).toBe(401);
    const sse = await request(`${api}/api/v1/events`);
    expect(sse.statusCode).toBe(401);
    await sse.body.dump();
  });

  it('dispatches to the same handlers with the Result envelope; bad input gets the error envelope', async () => {
    const token = await login();
    const ok = await post('/api/v1/rpc/catalog.get', {}, token);
    expect(ok.status).toBe(200);
    expect(ok.body.ok).toBe(true);
    expect(ok.body.value.services.length).toBeGreaterThan(5);
    const bad = await post('/api/v1/rpc/deckies.deploy', { count: 'three' }, token);
    expect(bad).toMatchObject({ status: 400, body: { ok: false, error: { code: 'INVALID_INPUT' } } });
    expect(bad.body.error!.message).toMatch(/count/);
    const unknown = await post('/api/v1/rpc/deckies.explode', {}, token);
    expect(unknown).toMatchObject({ status: 404, body: { ok: false, error: { code: 'NOT_FOUND' } } });
    const notJson = await post('/api/v1/rpc/hosts.list', 'a=b', token, {
      'content-type': 'application/x-www-form-urlencoded',
    });
    expect(notJson.status).toBe(400);
    const lookalike = await post('/api/v1/rpc/hosts.list', {}, token, { 'content-type': 'application/jsonfoo' });
    expect(lookalike.status).toBe(400);
    const charset = await post('/api/v1/rpc/hosts.list', {}, token, {
      'content-type': 'application/json; charset=utf-8',
    });
    expect(charset.status).toBe(200);
    const nullBody = await post('/api/v1/rpc/hosts.list', null, token);
    expect(nullBody).toMatchObject({ status: 400, body: { ok: false, error: { code: 'INVALID_INPUT' } } });
    const missing = await post('/api/v1/rpc/hosts.check', { hostUuid: '7d3c1f52-1111-4222-8333-944455556666' }, token);
    expect(missing).toMatchObject({ status: 404, body: { ok: false, error: { code: 'NOT_FOUND' } } });
  });

  it('streams contract events over SSE', async () => {
    const token = await login();
    const ac = new AbortController();
    const res = await request(`${api}/api/v1/events`, {
      headers: { authorization: `Bearer ${token}` },
      signal: ac.signal,
    });
    expect(res.statusCode).toBe(200);
    let text = '';
    const reading = (async () => {
      for await (const chunk of res.body) {
        text += (chunk as Buffer).toString();
        if (text.includes('event: topologies.changed')) break;
      }
    })();
    await post(
      '/api/v1/rpc/topologies.create',
      {
        name: 'sse-probe',
        lans: [{ id: 'dmz', name: 'dmz', subnet: '10.9.0.0/24', isDmz: true }],
        deckies: [{ uuid: 'd1', name: 'gw', services: ['ssh'], ipsByLan: { dmz: '10.9.0.10' } }],
        edges: [{ id: 'e1', deckyUuid: 'd1', lanId: 'dmz' }],
      },
      token,
    );
    await reading;
    ac.abort();
    expect(text).toMatch(/event: topologies\.changed\ndata: \{"topologyIds":\["[0-9a-f-]+"\]\}/);
  });

  it('deploys a master-resident decky to the embedded local agent and mutates it via the local path', async () => {
    const token = await login();
    const hosts = (await post('/api/v1/rpc/hosts.list', {}, token)).body.value as Array<{
      local: boolean;
      liveness: string;
    }>;
    expect(hosts.some((h) => h.local)).toBe(true);
    await eventually(
      async () =>
        (
          (await post('/api/v1/rpc/hosts.list', {}, token)).body.value as Array<{ local: boolean; liveness: string }>
        ).some((h) => h.local && h.liveness === 'online'),
      { timeoutMs: 20_000 },
    );
    const dep = await post(
      '/api/v1/rpc/deckies.deploy',
      { services: ['http'], deckies: [{ name: 'resident-1', ip: ip(5) }] },
      token,
    );
    expect(dep.status).toBe(200);
    const [row] = await settled(m, dep.body.value.lifecycleIds);
    expect(row).toMatchObject({ status: 'succeeded', hostUuid: null });
    const mut = await post(
      '/api/v1/rpc/deckies.mutate',
      { deckyName: 'resident-1', services: ['http', 'telnet'] },
      token,
    );
    const [mrow] = await settled(m, [mut.body.value.lifecycleId]);
    expect(mrow).toMatchObject({ status: 'succeeded', operation: 'mutate', hostUuid: null });
    await eventually(
      async () =>
        (await m.call('deckies.list', {})).find((d) => d.config.name === 'resident-1')?.config.services.join() ===
        'http,telnet',
    );
  });

  it('restarts the local agent when it dies', async () => {
    const before = m.master.localAgent()!;
    expect(before.pid).not.toBeNull();
    process.kill(before.pid!, 'SIGKILL');
    const after = await eventually(
      () => {
        const now = m.master.localAgent()!;
        return now.pid !== null && now.pid !== before.pid ? now : undefined;
      },
      { timeoutMs: 15_000, what: 'local agent restarted' },
    );
    expect(after.hostUuid).toBe(before.hostUuid);
    await eventually(async () => (await m.call('hosts.list', {})).find((h) => h.local)?.liveness === 'online', {
      timeoutMs: 15_000,
    });
  });

  it('rate-limits login per peer (10 a minute)', async () => {
    const codes: number[] = [];
    for (let i = 0; i < 12; i++)
      codes.push((await post('/api/v1/auth/login', { username: 'admin', password: 'wrong-password' })).status);
    // Earlier tests already spent a few of this peer's attempts.
    expect(codes).toContain(401);
    expect(codes.at(-1)).toBe(429);
    const limited = await post('/api/v1/auth/login', { username: 'admin', password: ADMIN_PASSWORD });
    expect(limited.body.error!.code).toBe('RATE_LIMITED');
  });
});

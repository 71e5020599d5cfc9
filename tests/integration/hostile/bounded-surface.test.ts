import { spawn } from 'node:child_process';
import { connect as tcpConnect, type Socket } from 'node:net';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { Agent as UndiciAgent, request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { swarmBounds } from '../../../main/core/swarm/swarm-listener';
import { agentBounds } from '../../../agent/server';
import { clientTlsOptions } from '../../../shared/node/tls';
import { openCertificateAuthority } from '../../../main/core/ca';
import { issueWorker, startAgent } from '../../fixtures/pki';
import { eventually } from '../../helpers/eventually';
import { makeTmpDir } from '../../helpers/tmp-dir';
import { freePort, startMaster, type TestMaster } from '../master/harness';

// The swarm listener's unauthenticated part (enroll, the TLS handshake) against hostile clients:
// oversized and streamed bodies, connection floods from one source, token guessing. Real listener.
/** 16 POST /deploy of 15 MB with the master's certificate, half declared, half streamed; prints the statuses. */
const SENDER = `
import { Readable } from 'node:stream';
import { Agent, request } from 'undici';
const port = process.argv[1];
const env = process.env;
const dispatcher = new Agent({ connect: { key: env.SENDER_KEY, cert: env.SENDER_CERT, ca: env.SENDER_CA, servername: undefined, checkServerIdentity: () => undefined, maxCachedSessions: 0 }, connections: 32 });
const chunk = Buffer.alloc(1024 * 1024, 0x41);
const big = Buffer.alloc(15 * 1024 * 1024, 0x41);
const streamed = () => Readable.from((function* () { yield Buffer.from('{"deckies":"'); for (let i = 0; i < 15; i++) yield chunk; })());
const results = await Promise.all(Array.from({ length: 16 }, (_, i) =>
  request('https://127.0.0.1:' + port + '/deploy', { method: 'POST', dispatcher, headers: { 'content-type': 'application/json' }, body: i % 2 ? streamed() : big })
    .then(async (r) => (await r.body.dump(), r.statusCode), () => 'reset')));
await dispatcher.close();
process.stdout.write(JSON.stringify(results));
`;
const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
});

async function master(): Promise<TestMaster> {
  const tmp = await makeTmpDir('decnet-hostile-bound-');
  cleanups.push(tmp.remove);
  const m = await startMaster({ dataDir: join(tmp.dir, 'master'), agentPort: await freePort() });
  cleanups.push(() => m.stop());
  return m;
}

const insecure = () => new UndiciAgent({ connect: { rejectUnauthorized: false }, connections: 64 });
const enrollBody = (pad: number) =>
  JSON.stringify({
    token: `DECNET1-${'0'.repeat(64)}-${'A'.repeat(43)}`,
    name: 'x',
    addresses: [],
    csrPem: 'C'.repeat(pad),
  });

describe('bounded unauthenticated surface', () => {
  it('refuses an enroll body above 32 KiB with 413, declared or streamed, and 32 parallel 15 MB bodies barely move RSS', async () => {
    const m = await master();
    const dispatcher = insecure();
    cleanups.push(() => dispatcher.close());
    const url = `${m.started.swarm.url}/swarm/enroll`;
    const big = await request(url, {
      method: 'POST',
      dispatcher,
      headers: { 'content-type': 'application/json' },
      body: enrollBody(40_000),
    });
    expect(big.statusCode).toBe(413);
    expect(((await big.body.json()) as { error: { code: string } }).error.code).toBe('PAYLOAD_TOO_LARGE');
    global.gc?.();
    const before = process.memoryUsage().rss;
    const chunk = Buffer.alloc(1024 * 1024, 0x41);
    // Streamed without content-length: the limit must hold while reading, not only on the header.
    const streamed = () =>
      Readable.from(
        (function* () {
          yield Buffer.from('{"token":"');
          for (let i = 0; i < 15; i++) yield chunk;
        })(),
      );
    const results = await Promise.all(
      Array.from({ length: 32 }, () =>
        request(url, {
          method: 'POST',
          dispatcher,
          headers: { 'content-type': 'application/json' },
          body: streamed(),
        }).then(
          async (r) => (await r.body.dump(), r.statusCode),
          () => 'reset',
        ),
      ),
    );
    for (const r of results) expect([413, 'reset']).toContain(r);
    const grownMb = (process.memoryUsage().rss - before) / 2 ** 20;
    // Before the limit this was ~670 MB (every body buffered and parsed); a generous bound.
    expect(grownMb).toBeLessThan(200);
  });

  it('caps the connections one source may hold open', async () => {
    const m = await master();
    const sockets: Socket[] = [];
    cleanups.push(() => Promise.resolve(sockets.forEach((s) => s.destroy())));
    let closedByServer = 0;
    for (let i = 0; i < swarmBounds.maxConnectionsPerSource + 20; i++) {
      const s = tcpConnect({ host: '127.0.0.1', port: m.started.swarm.port });
      s.on('error', () => undefined);
      s.on('close', () => closedByServer++);
      sockets.push(s);
    }
    await eventually(() => closedByServer >= 20, { what: 'connections above the per-source cap closed' });
    expect(closedByServer).toBeLessThanOrEqual(25);
  });

  it('rate-limits enroll attempts per source: token guessing gets 429', async () => {
    const m = await master();
    const dispatcher = insecure();
    cleanups.push(() => dispatcher.close());
    const codes: number[] = [];
    for (let i = 0; i < swarmBounds.enrollPerMinute + 5; i++) {
      const r = await request(`${m.started.swarm.url}/swarm/enroll`, {
        method: 'POST',
        dispatcher,
        headers: { 'content-type': 'application/json' },
        body: enrollBody(100),
      });
      await r.body.dump();
      codes.push(r.statusCode);
    }
    expect(codes.slice(0, swarmBounds.enrollPerMinute).every((c) => c !== 429)).toBe(true);
    expect(codes.slice(swarmBounds.enrollPerMinute)).toEqual(Array(5).fill(429));
  });
});

describe('bounded agent API', () => {
  it('one flooding source gets at most its cap, the master still gets through, and silent sockets are cut at the handshake timeout', async () => {
    const tmp = await makeTmpDir('decnet-hostile-agent-');
    cleanups.push(tmp.remove);
    const ca = await openCertificateAuthority({ dataDir: join(tmp.dir, 'master') });
    const master = await ca.ensureMasterIdentity();
    const worker = await issueWorker(ca);
    const agent = await startAgent(worker);
    cleanups.push(() => agent.server.stop());
    const sockets: Socket[] = [];
    cleanups.push(() => Promise.resolve(sockets.forEach((s) => s.destroy())));
    let closed = 0;
    const extra = 10;
    // The flood comes from 127.0.0.2; the master dials from 127.0.0.1.
    for (let i = 0; i < agentBounds.maxConnectionsPerSource + extra; i++) {
      const s = tcpConnect({ host: '127.0.0.1', port: agent.port, localAddress: '127.0.0.2' });
      s.on('error', () => undefined);
      s.on('close', () => closed++);
      sockets.push(s);
    }
    await eventually(() => closed >= extra, { what: 'connections above the per-source cap closed' });
    expect(closed).toBeLessThanOrEqual(extra + 2);
    const t0 = Date.now();
    // The master's own TLS identity, as its agent client dials (a plain client keeps this test off that API).
    const asMaster = new UndiciAgent({
      connect: { ...clientTlsOptions({ ...master, pin: worker.fingerprint }), maxCachedSessions: 0 },
    });
    cleanups.push(() => asMaster.close());
    const health = await request(`https://127.0.0.1:${agent.port}/health`, { dispatcher: asMaster });
    expect(health.statusCode).toBe(200);
    expect(await health.body.json()).toMatchObject({ status: 'ok' });
    await eventually(() => closed === sockets.length, {
      timeoutMs: agentBounds.handshakeTimeoutMs + 5000,
      what: 'silent sockets cut by the handshake timeout',
    });
    expect(Date.now() - t0).toBeLessThan(agentBounds.handshakeTimeoutMs + 3000);
  }, 30_000);

  it('16 parallel 15 MB bodies with the master certificate get 413 before any handler runs, and barely move RSS', async () => {
    const tmp = await makeTmpDir('decnet-hostile-agent-body-');
    cleanups.push(tmp.remove);
    const ca = await openCertificateAuthority({ dataDir: join(tmp.dir, 'master') });
    const master = await ca.ensureMasterIdentity();
    const worker = await issueWorker(ca);
    const agent = await startAgent(worker);
    cleanups.push(() => agent.server.stop());
    // The senders run in a child process: their 15 MB buffers and TLS output queues would
    // otherwise be counted in the memory this test bounds, which is the agent's.
    const before = process.memoryUsage().rss;
    let peak = before;
    const sample = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 50);
    const child = spawn(process.execPath, ['--input-type=module', '-e', SENDER, String(agent.port)], {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, SENDER_KEY: master.keyPem, SENDER_CERT: master.certPem, SENDER_CA: master.caPem },
    });
    let out = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    clearInterval(sample);
    expect(code).toBe(0);
    const results = JSON.parse(out) as Array<number | 'reset'>;
    expect(results).toHaveLength(16);
    for (const r of results) expect([413, 'reset']).toContain(r);
    expect(results).toContain(413);
    expect(agent.calls).toEqual([]);
    // 16 × 15 MB held would be 240 MB; the agent reads at most its 4 MiB limit of each.
    expect((peak - before) / 2 ** 20).toBeLessThan(120);
  }, 60_000);
});

import Database from 'better-sqlite3';
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Agent as UndiciAgent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isAlive, readRegistry } from '../../../agent/runtime/native/decky-host-channel';
import { openCertificateAuthority } from '../../../main/core/ca';
import { clientTlsOptions, fingerprintOfPem } from '../../../shared/node/tls';
import { eventually } from '../../helpers/eventually';
import { makeTmpDir } from '../../helpers/tmp-dir';
import { killHostsByRegistry } from './harness';
import { startPoller } from './restart-poller';

const MASTER_CLI = new URL('../../../out/main/cli.js', import.meta.url).pathname;
const IP = '127.93.1.10';

type Serve = { child: ChildProcess; output: () => string; exited: Promise<unknown>; agentPid: number };

/** `decnet-master serve` with its embedded local agent, as an operator starts the console headless. */
async function serve(dataDir: string): Promise<Serve> {
  const child = spawn(
    process.execPath,
    [MASTER_CLI, 'serve', '--data', dataDir, '--api-port', '0', '--swarm-port', '0'],
    {
      env: {
        ...process.env,
        DECNET_API_HOST: '127.0.0.1',
        DECNET_SWARM_HOST: '127.0.0.1',
        DECNET_HEARTBEAT_INTERVAL_S: '1',
        DECNET_ADMIN_PASSWORD: 'restart-test-pw',
        DECNET_LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  child.stdout.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr.on('data', (b: Buffer) => (out += b.toString()));
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const agentPid = await eventually(
    () => {
      if (child.exitCode !== null) throw new Error(`decnet-master exited: ${out}`);
      const m = /local agent: host \S+ \(pid (\d+)\)/.exec(out);
      return m ? Number(m[1]) : undefined;
    },
    { timeoutMs: 30_000, what: 'local agent started' },
  );
  return { child, output: () => out, exited, agentPid };
}

async function listenPort(pid: number): Promise<number> {
  const argv = (await readFile(`/proc/${pid}/cmdline`, 'utf8')).split('\0');
  return Number(argv[argv.indexOf('--listen') + 1]!.split(':')[1]);
}

/** Every event line the real master stored (its event log segments). */
function storedEvents(dataDir: string): Array<{ id: string; decky: string; data: unknown }> {
  // The master's event store (SQLite, WAL): a read-only connection sees what a running master committed.
  const path = join(dataDir, 'events', 'events.db');
  if (!existsSync(path)) return [];
  const db = new Database(path, { readonly: true, fileMustExist: true });
  try {
    const rows = db.prepare('SELECT id, decky, data FROM events').all() as Array<{
      id: string;
      decky: string;
      data: string;
    }>;
    return rows.map((r) => ({ id: r.id, decky: r.decky, data: JSON.parse(r.data) as unknown }));
  } finally {
    db.close();
  }
}

/** The console's local deckies outlive a console crash; the next console's local agent re-attaches. */
describe('console crash: the local agent deckies keep answering', () => {
  let tmp: { dir: string; remove: () => Promise<void> };
  const procs: Serve[] = [];
  let stateDir = '';

  beforeAll(async () => {
    tmp = await makeTmpDir('decnet-restart-local-');
    stateDir = join(tmp.dir, 'data', 'local-agent', 'state');
  });
  afterAll(async () => {
    for (const p of procs) {
      for (const pid of [p.child.pid, p.agentPid]) if (pid && isAlive(pid)) process.kill(pid, 'SIGKILL');
      await p.exited;
    }
    if (stateDir) await killHostsByRegistry(stateDir);
    await tmp?.remove();
  });

  it('kill -9 of decnet-master serve, an attack meanwhile, a new serve: no failed poll, running, the event stored once', async () => {
    const dataDir = join(tmp.dir, 'data');
    const first = await serve(dataDir);
    procs.push(first);
    const ca = await openCertificateAuthority({ dataDir });
    const master = await ca.ensureMasterIdentity();
    const pin = fingerprintOfPem(await readFile(join(dataDir, 'local-agent', 'worker.crt'), 'utf8'));
    type AgentStatus = { runtime: Record<string, { running?: boolean; restarts?: number } | undefined> };
    const call = async (
      port: number,
      method: 'GET' | 'POST',
      path: string,
      body?: unknown,
    ): Promise<{ status: number; body: AgentStatus }> => {
      const dispatcher = new UndiciAgent({ connect: clientTlsOptions({ ...master, pin }) });
      try {
        const res = await request(`https://127.0.0.1:${port}${path}`, {
          method,
          dispatcher,
          headers: { 'content-type': 'application/json' },
          body: body ? JSON.stringify(body) : null,
        });
        const text = await res.body.text();
        return { status: res.statusCode, body: (text ? JSON.parse(text) : { runtime: {} }) as AgentStatus };
      } finally {
        await dispatcher.close();
      }
    };
    const port1 = await listenPort(first.agentPid);
    await eventually(async () => (await call(port1, 'GET', '/status').catch(() => ({ status: 0 }))).status === 200, {
      what: 'local agent API',
      timeoutMs: 20_000,
    });
    // Deployed the way the console does it: the master plans it onto its local agent.
    const consoleUrl = /console API: (http:\/\/127\.0\.0\.1:\d+)/.exec(first.output())![1]!;
    const hostUuid = /local agent: host (\S+) /.exec(first.output())![1]!;
    const rpc = async (path: string, body: unknown, token?: string) => {
      const res = await request(`${consoleUrl}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
        body: JSON.stringify(body),
      });
      return { status: res.statusCode, body: (await res.body.json()) as { token?: string; value?: unknown } };
    };
    const { token } = (await rpc('/api/v1/auth/login', { username: 'admin', password: 'restart-test-pw' })).body;
    const deployed = await rpc(
      '/api/v1/rpc/deckies.deploy',
      { hostUuid, services: ['ssh', 'http'], deckies: [{ name: 'local-rs', ip: IP }] },
      token,
    );
    expect(deployed.status, JSON.stringify(deployed.body)).toBe(200);
    await eventually(async () => (await call(port1, 'GET', '/status')).body.runtime['local-rs']?.running, {
      what: 'local decky running',
      timeoutMs: 30_000,
    });
    const entry = await eventually(
      async () => (await readRegistry(join(stateDir, 'hosts'))).entries.find((e) => e.deckies.includes('local-rs')),
      { what: 'registry entry' },
    );

    const poller = startPoller(IP);
    await eventually(() => poller.polls() >= 3, { what: 'first polls' });
    // The console crashes: nothing runs its quit path.
    first.child.kill('SIGKILL');
    await first.exited;
    const curl = await new Promise<string>((resolve) =>
      execFile(
        'curl',
        [
          '-s',
          '-o',
          '/dev/null',
          '-w',
          '%{http_code}',
          '-d',
          'username=root&password=while-console-down',
          `http://${IP}/login`,
        ],
        { timeout: 20_000 },
        (_e, out) => resolve(out),
      ),
    );
    expect(curl).toBe('200');
    const polls = poller.polls();
    await eventually(() => poller.polls() >= polls + 3, { what: 'polls while the console is down' });

    const second = await serve(dataDir);
    procs.push(second);
    expect(isAlive(first.agentPid)).toBe(false);
    const port2 = await listenPort(second.agentPid);
    const status = await eventually(
      async () => {
        const s = await call(port2, 'GET', '/status').catch(() => null);
        return s?.body?.runtime?.['local-rs']?.running ? s.body : undefined;
      },
      { what: 'the new local agent reports the decky running', timeoutMs: 30_000 },
    );
    expect(status.runtime['local-rs']).toEqual({
      running: true,
      restarts: 0,
      services: { ssh: 'running', http: 'running' },
    });
    expect((await readRegistry(join(stateDir, 'hosts'))).entries.map((e) => e.pid)).toEqual([entry.pid]);

    const downEvents = () =>
      storedEvents(dataDir).filter(
        (e) => e.decky === 'local-rs' && JSON.stringify(e.data).includes('while-console-down'),
      );
    await eventually(() => downEvents().length >= 1, {
      what: 'the event reaches the master',
      timeoutMs: 30_000,
    });
    await poller.stop();
    expect(downEvents()).toHaveLength(1);
    expect(poller.failures).toEqual([]);
  });
});

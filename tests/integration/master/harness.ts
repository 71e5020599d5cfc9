import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdir, readFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Agent as UndiciAgent, request } from 'undici';
import { loadConfig } from '../../../main/core/config';
import { createMaster, type Master, type MasterDeps, type MasterStarted } from '../../../main/core/master';
import { unwrap } from '../../../shared/errors';
import type { Command, CommandInput, CommandOutput } from '../../../shared/ipc/types';
import { createLogger, silentLogger } from '../../../shared/node/logger';
import { clientTlsOptions } from '../../../shared/node/tls';
import { eventually } from '../../helpers/eventually';
import { invokeCommand } from '../../../main/core/dispatch';

const run = promisify(execFile);
export const AGENT_CLI = new URL('../../../out/agent/cli.js', import.meta.url).pathname;
export const STUB_HOST = new URL('../agent/stub-decky-host.mjs', import.meta.url).pathname;
export const ADMIN_PASSWORD = 'integration-test-password';

/** A /24 under 127.0.0.0/8 of its own per test file, so parallel suites never share an address. */
export function loopbackBlock(): (host: number) => string {
  const a = 150 + Math.floor(Math.random() * 100);
  const b = Math.floor(Math.random() * 250) + 1;
  return (host) => `127.${a}.${b}.${host}`;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const a = srv.address();
      srv.close(() => resolve(typeof a === 'object' && a ? a.port : 0));
    });
  });
}

export type TestMaster = {
  master: Master;
  started: MasterStarted;
  /** Calls a command through the same dispatcher as IPC/RPC and unwraps the Result. */
  call<C extends Command>(command: C, input: CommandInput<C>): Promise<CommandOutput<C>>;
  stop(): Promise<void>;
};

export type MasterOpts = {
  dataDir: string;
  agentPort: number;
  swarmPort?: number;
  localAgent?: boolean;
  env?: Record<string, string>;
  defer?: MasterDeps['defer'];
  /** Where the console finds the agent tarball it ships (default: ./dist). */
  agentPackageDir?: string;
};

/** A real master in this process: real store on disk, real CA, real swarm listener and console API. */
export async function startMaster(o: MasterOpts): Promise<TestMaster> {
  const config = loadConfig(
    {
      DECNET_SWARM_HOST: '127.0.0.1',
      DECNET_API_HOST: '127.0.0.1',
      DECNET_HEARTBEAT_INTERVAL_S: '1',
      DECNET_ADMIN_PASSWORD: ADMIN_PASSWORD,
      DECNET_AGENT_PORT: String(o.agentPort),
      DECNET_SELF_DESTRUCT_TIMEOUT_S: '3',
      ...o.env,
    },
    { dataDir: o.dataDir, apiPort: 0, swarmPort: o.swarmPort ?? 0, localAgent: o.localAgent ?? false },
  );
  const log = process.env.DECNET_TEST_LOG ? createLogger({ level: 'debug' }) : silentLogger;
  const master = await createMaster(
    {
      ...config,
      consoleApi: true,
      agentCliPath: AGENT_CLI,
      staticDir: join(o.dataDir, 'no-ui'),
      ...(o.agentPackageDir ? { agentPackageDir: o.agentPackageDir } : {}),
    },
    { log, ...(o.defer ? { defer: o.defer } : {}) },
  );
  const started = await master.start();
  return {
    master,
    started,
    call: async (command, input) => unwrap(await invokeCommand(master.handlers, command, input, log)) as never,
    stop: () => master.stop(),
  };
}

export type TestAgent = {
  name: string;
  ip: string;
  hostUuid: string;
  identityDir: string;
  child: ChildProcess;
  output: () => string;
  kill(signal?: NodeJS.Signals): Promise<void>;
  exited: Promise<number | null>;
};

/** Enrolls a real agent through a join token and `decnet-agent enroll`, then runs it on `ip:agentPort`. */
export async function startAgent(
  m: TestMaster,
  o: {
    root: string;
    name: string;
    ip: string;
    agentPort: number;
    env?: Record<string, string>;
    /** The URL the agent enrolls against and keeps as its master (a test proxy in between). */
    masterUrl?: string;
  },
): Promise<TestAgent> {
  const enrolled = await m.call('hosts.enroll', { name: o.name, address: o.ip });
  const identityDir = join(o.root, o.name, 'identity');
  const stateDir = join(o.root, o.name, 'state');
  await mkdir(stateDir, { recursive: true });
  await run(process.execPath, [
    AGENT_CLI,
    'enroll',
    '--master',
    o.masterUrl ?? m.started.swarm.url,
    '--token',
    enrolled.token,
    '--dir',
    identityDir,
    '--name',
    o.name,
    '--address',
    o.ip,
  ]);
  const child = spawn(
    process.execPath,
    [
      AGENT_CLI,
      'run',
      '--dir',
      identityDir,
      '--state-dir',
      stateDir,
      '--listen',
      `${o.ip}:${o.agentPort}`,
      '--network',
      'loopback',
    ],
    {
      env: { ...process.env, DECNET_HEARTBEAT_INTERVAL_S: '1', DECNET_LOG_LEVEL: 'warn', ...o.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  child.stdout.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr.on('data', (b: Buffer) => (out += b.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const agent: TestAgent = {
    name: o.name,
    ip: o.ip,
    hostUuid: enrolled.hostUuid,
    identityDir,
    child,
    output: () => out,
    exited,
    kill: async (signal = 'SIGTERM') => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
    },
  };
  await eventually(
    async () => {
      if (child.exitCode !== null) throw new Error(`agent ${o.name} exited: ${out}`);
      return (await m.call('hosts.list', {})).find((h) => h.uuid === enrolled.hostUuid)?.liveness === 'online';
    },
    { timeoutMs: 20_000, what: `${o.name} online` },
  );
  return agent;
}

/** Waits until every row is terminal and returns them. */
export async function settled(m: TestMaster, ids: string[], timeoutMs = 20_000) {
  return eventually(
    async () => {
      const { rows } = await m.call('lifecycle.get', { ids });
      return rows.length === ids.length && rows.every((r) => r.status === 'succeeded' || r.status === 'failed')
        ? rows
        : undefined;
    },
    { timeoutMs, what: 'lifecycle rows terminal' },
  );
}

/** POSTs to the swarm listener with a worker's own identity files (what the agent would send). */
export async function asWorker(
  m: TestMaster,
  agent: TestAgent,
  path: string,
  body: unknown,
): Promise<{ status: number; body: unknown }> {
  const [caPem, certPem, keyPem] = (await Promise.all(
    ['ca.crt', 'worker.crt', 'worker.key'].map((f) => readFile(join(agent.identityDir, f), 'utf8')),
  )) as [string, string, string];
  const dispatcher = new UndiciAgent({
    connect: { ...clientTlsOptions({ caPem, certPem, keyPem }), maxCachedSessions: 0 },
  });
  try {
    const res = await request(`${m.started.swarm.url}${path}`, {
      method: 'POST',
      dispatcher,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    const text = await res.body.text();
    return { status: res.statusCode, body: text ? (JSON.parse(text) as unknown) : null };
  } finally {
    await dispatcher.close();
  }
}

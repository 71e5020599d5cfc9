import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { Agent as UndiciAgent, request } from 'undici';
import { readFile } from 'node:fs/promises';
import { isAlive, readRegistry } from '../../../agent/runtime/native/decky-host-channel';
import { writeIdentity } from '../../../agent/identity';
import { openCertificateAuthority, type CertificateAuthority, type IssuedIdentity } from '../../../main/core/ca';
import type { HeartbeatBody } from '../../../shared/domain/agent-status';
import type { AttackerEvent } from '../../../shared/domain/events';
import { AppError } from '../../../shared/errors';
import { serveRoutes } from '../../../shared/node/route-server';
import { clientTlsOptions, peerIdentity, serverTlsOptions } from '../../../shared/node/tls';
import { swarmApi } from '../../../shared/protocol/swarm-api';
import { eventually } from '../../helpers/eventually';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- answers are checked field by field in the tests
type Json = any;

export const STUB_HOST = new URL('./stub-decky-host.mjs', import.meta.url).pathname;
const CLI = new URL('../../../out/agent/cli.js', import.meta.url).pathname;

export type Pki = { ca: CertificateAuthority; master: IssuedIdentity; swarm: IssuedIdentity };

export async function createPki(dataDir: string): Promise<Pki> {
  const ca = await openCertificateAuthority({ dataDir });
  return { ca, master: await ca.ensureMasterIdentity(), swarm: await ca.ensureSwarmServerCert(['127.0.0.1']) };
}

/** A worker identity from our CA written the way `decnet-agent enroll` writes it. */
export async function writeWorker(
  pki: Pki,
  dir: string,
  masterUrl: string,
): Promise<{ hostUuid: string; fingerprint: string }> {
  const hostUuid = randomUUID();
  const name = `w-${hostUuid.slice(0, 8)}`;
  const id = await pki.ca.issueWorkerBundleIdentity({ hostUuid, name, addresses: ['127.0.0.1'] });
  await writeIdentity(dir, id, { hostUuid, masterUrl, name });
  return { hostUuid, fingerprint: id.fingerprint };
}

/**
 * The master's swarm listener as far as an agent can tell: mTLS with a swarm-role certificate,
 * the real swarmApi table and schemas, worker role required. It records what arrives, acks every
 * delta and event, and can go down and come back on the same port.
 */
export type Receiver = {
  url: string;
  heartbeats: HeartbeatBody[];
  events: AttackerEvent[];
  /** Every observed [order tag] in arrival order, shared with the test's own marks. */
  timeline: string[];
  sightings: (deltaId: string) => number;
  stop: () => Promise<void>;
  start: () => Promise<void>;
};

export async function startReceiver(
  pki: Pki,
  timeline: string[] = [],
  opts: { onDelta?: (deckyName: string, status: string, completedAt: string) => void } = {},
): Promise<Receiver> {
  const heartbeats: HeartbeatBody[] = [];
  const events: AttackerEvent[] = [];
  const listener = serveRoutes({
    table: swarmApi,
    bodyLimit: 16 * 1024 * 1024,
    authorize: (req) => {
      const peer = peerIdentity(req.socket as TLSSocket);
      if (!peer || peer.role !== 'worker') throw new AppError('FORBIDDEN', 'worker certificate required');
      return peer;
    },
    handlers: {
      caCert: () => Promise.resolve({ caPem: pki.ca.caInfo().pem }),
      enroll: () => Promise.reject(new AppError('FORBIDDEN', 'not in this test')),
      heartbeat: (body, peer) => {
        if (body.hostUuid !== peer.hostUuid) throw new AppError('FORBIDDEN', 'heartbeat names another host');
        heartbeats.push(body);
        for (const d of body.lifecycle) {
          timeline.push(`delta:${d.deckyName}:${d.operation}:${d.status}`);
          opts.onDelta?.(d.deckyName, d.status, d.completedAt);
        }
        return Promise.resolve({ ackedDeltaIds: body.lifecycle.map((d) => d.deltaId) });
      },
      events: (body) => {
        events.push(...body.events);
        return Promise.resolve({ ackedIds: body.events.map((e) => e.id) });
      },
      artifact: () => Promise.resolve({ stored: true }),
    },
  });
  let server: Server | null = null;
  let port = 0;
  const start = async (): Promise<void> => {
    const srv = createServer(serverTlsOptions({ ...pki.swarm, requireClientCert: true }), listener);
    await new Promise<void>((resolve, reject) => {
      srv.once('error', reject);
      srv.listen(port, '127.0.0.1', () => resolve());
    });
    port = (srv.address() as AddressInfo).port;
    server = srv;
  };
  await start();
  return {
    url: `https://127.0.0.1:${port}`,
    heartbeats,
    events,
    timeline,
    sightings: (id) => heartbeats.filter((h) => h.lifecycle.some((d) => d.deltaId === id)).length,
    start,
    stop: async () => {
      const srv = server;
      server = null;
      if (!srv) return;
      const closed = new Promise<void>((resolve) => srv.close(() => resolve()));
      srv.closeAllConnections();
      await closed;
    },
  };
}

export type AgentProcess = {
  child: ChildProcess;
  port: number;
  output: () => string;
  exited: Promise<number | null>;
  /**
   * Stops the agent, then kills its decky host processes by registry: they outlive the agent by
   * design, and a leaked one would keep its ports busy for the rest of the run. `keepHosts` leaves
   * them for a restarted agent (the test then reaps them itself, killHostsByRegistry).
   */
  kill: (signal?: NodeJS.Signals, opts?: { keepHosts?: boolean }) => Promise<void>;
};

/** Kills every decky host process registered under `<stateDir>/hosts` and waits until each is gone. */
export async function killHostsByRegistry(stateDir: string): Promise<number> {
  const { entries } = await readRegistry(join(stateDir, 'hosts'));
  let killed = 0;
  for (const e of entries) {
    // Only what really is a decky host: a reused pid belongs to someone else.
    const cmdline = await readFile(`/proc/${e.pid}/cmdline`, 'utf8').catch(() => '');
    if (!/decky-host/.test(cmdline)) continue;
    try {
      process.kill(e.pid, 'SIGKILL');
      killed++;
    } catch {
      continue;
    }
    await eventually(() => !isAlive(e.pid), { what: `decky host ${e.pid} gone`, timeoutMs: 10_000 });
  }
  return killed;
}

/** `node out/agent/cli.js run` on 127.0.0.1 with a free port. */
export async function startAgentProcess(o: {
  identityDir: string;
  stateDir: string;
  env?: Record<string, string>;
  args?: string[];
}): Promise<AgentProcess> {
  const child = spawn(
    process.execPath,
    [CLI, 'run', '--dir', o.identityDir, '--state-dir', o.stateDir, '--listen', '127.0.0.1:0', ...(o.args ?? [])],
    {
      env: { ...process.env, DECNET_LOG_LEVEL: 'warn', ...o.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  child.stdout.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr.on('data', (b: Buffer) => (out += b.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const port = await eventually(
    () => {
      if (child.exitCode !== null) throw new Error(`agent exited early (${child.exitCode}): ${out}`);
      const m = /listening on https:\/\/[^:]+:(\d+)/.exec(out);
      return m ? Number(m[1]) : undefined;
    },
    { timeoutMs: 15_000, what: 'agent listening' },
  ).catch(async (err: unknown) => {
    child.kill('SIGKILL');
    await exited;
    throw err;
  });
  return {
    child,
    port,
    output: () => out,
    exited,
    kill: async (signal = 'SIGKILL', opts = {}) => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
      if (!opts.keepHosts) await killHostsByRegistry(o.stateDir);
    },
  };
}

/** The master's side of the agent API, raw: status codes are what these tests are about. */
export function agentCaller(pki: Pki, workerFingerprint: string, port: number) {
  const dispatcher = new UndiciAgent({ connect: clientTlsOptions({ ...pki.master, pin: workerFingerprint }) });
  const call = async (
    method: 'GET' | 'POST',
    path: string,
    body?: unknown,
  ): Promise<{ status: number; body: Json }> => {
    const res = await request(`https://127.0.0.1:${port}${path}`, {
      method,
      dispatcher,
      headers: method === 'POST' ? { 'content-type': 'application/json' } : {},
      body: method === 'POST' ? JSON.stringify(body ?? {}) : null,
    });
    const text = await res.body.text();
    return { status: res.statusCode, body: text ? JSON.parse(text) : null };
  };
  return { call, close: () => dispatcher.close() };
}

export const deckyConfig = (name: string, ip: string, services: string[] = ['ssh', 'http']) => ({
  name,
  ip,
  services,
  distro: 'debian',
});
export const deployBody = (deckies: unknown[], lifecycleIds?: Record<string, string>) => ({
  config: { mode: 'swarm', network: { driver: 'loopback' }, deckies },
  ...(lifecycleIds ? { lifecycleIds } : {}),
});
export const paths = (root: string) => ({
  identity: join(root, 'identity'),
  state: join(root, 'state'),
  ca: join(root, 'master'),
});

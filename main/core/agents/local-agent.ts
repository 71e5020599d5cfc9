import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, unlink } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { AppError } from '../../../shared/errors';
import { writeFileAtomic } from '../../../shared/node/atomic-file';
import type { Logger } from '../../../shared/node/logger';
import { headlessNodeSpawner, type NodeSpawner } from '../../../shared/node/node-spawner';
import { fingerprintOfPem } from '../../../shared/node/tls';
import type { CertificateAuthority } from '../ca';
import type { Store } from '../store/store';

export const LOCAL_AGENT_NAME = 'local-agent';
const MAX_BACKOFF_MS = 30_000;

export type LocalAgentOptions = Readonly<{
  dataDir: string;
  /** out/agent/cli.js */
  cliPath: string;
  /** How to start a Node child (the shell injects Electron-as-Node); default process.execPath. */
  spawnNode?: NodeSpawner;
  ca: CertificateAuthority;
  store: Store;
  masterUrl: () => string;
  heartbeatIntervalS: number;
  log: Logger;
  onChange: (hostUuid: string) => void;
}>;

export type LocalAgent = Readonly<{
  start(): Promise<void>;
  /** Stops the agent; its deckies keep running (a later start re-attaches) unless `stopDeckies`. */
  stop(opts?: { stopDeckies?: boolean }): Promise<void>;
  pid(): number | null;
  hostUuid(): string | null;
}>;

/**
 * The embedded local agent (unihost default): the real agent code as a supervised child process,
 * enrolled by the master itself (certificate straight from the CA, identity files in the agent's
 * own dir format), restarted with backoff when it dies. Its host record is `local: true`.
 * Its deckies outlive it and the console like any worker's: a console that crashed left the agent
 * (and its detached decky hosts) running; the next start replaces that agent (found by its pid
 * file), and the new one re-attaches to the deckies, which never stop answering.
 */
export function createLocalAgent(opts: LocalAgentOptions): LocalAgent {
  const dir = join(opts.dataDir, 'local-agent');
  const log = opts.log.child({ component: 'local-agent' });
  let child: ChildProcess | null = null;
  let stopping = false;
  let backoff = 1000;
  let restartTimer: NodeJS.Timeout | null = null;
  let uuid: string | null = null;

  const ensureIdentity = async (): Promise<{ hostUuid: string; port: number }> => {
    const existing = opts.store.hosts.local();
    const certPath = join(dir, 'worker.crt');
    if (existing?.fingerprint && opts.store.hosts.isUsable(existing) && existsSync(certPath)) {
      const onDisk = fingerprintOfPem(await readFile(certPath, 'utf8'));
      if (onDisk === existing.fingerprint) {
        await writeMeta(existing.uuid);
        const port = (await portFree(existing.agentPort)) ? existing.agentPort : await freePort();
        if (port !== existing.agentPort) opts.store.hosts.update(existing.uuid, { agentPort: port });
        return { hostUuid: existing.uuid, port };
      }
    }
    const hostUuid = existing?.uuid ?? randomUUID();
    const id = await opts.ca.issueWorkerBundleIdentity({
      hostUuid,
      name: LOCAL_AGENT_NAME,
      addresses: ['127.0.0.1', 'localhost'],
    });
    await writeFileAtomic(join(dir, 'worker.key'), id.keyPem, 0o600);
    await writeFileAtomic(join(dir, 'ca.crt'), id.caPem, 0o644);
    await writeFileAtomic(join(dir, 'worker.crt'), id.certPem, 0o644);
    await writeMeta(hostUuid);
    const port = await freePort();
    if (existing?.fingerprint) opts.store.hosts.revoke(existing.fingerprint);
    opts.store.hosts.add({
      uuid: hostUuid,
      name: LOCAL_AGENT_NAME,
      address: '127.0.0.1',
      agentPort: port,
      fingerprint: id.fingerprint,
      certExpiresAt: id.expiresAt.toISOString(),
      enrolledAt: existing?.enrolledAt ?? new Date().toISOString(),
      local: true,
      lastHeartbeatAt: null,
      lastEventsAt: null,
      agentVersion: null,
      topology: null,
    });
    opts.onChange(hostUuid);
    log.info('local agent enrolled', { hostUuid, fingerprint: id.fingerprint });
    return { hostUuid, port };
  };

  // The master URL can change between runs (swarm port 0 in tests): rewrite agent.json every start.
  const writeMeta = (hostUuid: string) =>
    writeFileAtomic(
      join(dir, 'agent.json'),
      JSON.stringify({ hostUuid, masterUrl: opts.masterUrl(), name: LOCAL_AGENT_NAME }, null, 2) + '\n',
      0o644,
    );

  const pidFile = join(dir, 'agent.pid');

  /** Stops a local agent a previous console left behind (crash, kill -9); its deckies stay up. */
  const replacePrevious = async (): Promise<void> => {
    const pid = Number((await readFile(pidFile, 'utf8').catch(() => '')).trim());
    if (!Number.isInteger(pid) || pid <= 1) return;
    // Only our own agent: a reused pid belongs to someone else.
    const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
    if (!cmdline.includes(opts.cliPath) || !cmdline.includes(dir)) return;
    log.warn('a local agent from a previous console run is still running; replacing it', { pid });
    signal(pid, 'SIGTERM');
    const deadline = Date.now() + 10_000;
    while (alive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    if (alive(pid)) signal(pid, 'SIGKILL');
    const killDeadline = Date.now() + 5_000;
    while (alive(pid) && Date.now() < killDeadline) await new Promise((r) => setTimeout(r, 50));
  };

  const launch = (port: number) => {
    const args = [
      'run',
      '--dir',
      dir,
      '--state-dir',
      join(dir, 'state'),
      '--listen',
      `127.0.0.1:${port}`,
      '--network',
      'loopback',
    ];
    const spec = (opts.spawnNode ?? headlessNodeSpawner())(opts.cliPath, args, {
      ...process.env,
      DECNET_HEARTBEAT_INTERVAL_S: String(opts.heartbeatIntervalS),
    });
    const proc = spawn(spec.command, spec.args, { env: spec.env, stdio: ['ignore', 'pipe', 'pipe'] });
    child = proc;
    if (proc.pid) void writeFileAtomic(pidFile, `${proc.pid}\n`, 0o644).catch(() => undefined);
    const started = Date.now();
    for (const stream of [proc.stdout, proc.stderr]) {
      createInterface({ input: stream }).on('line', (line) => log.debug('local agent output', { line }));
    }
    proc.once('exit', (code, signal) => {
      child = null;
      if (stopping) return;
      if (Date.now() - started > 60_000) backoff = 1000;
      log.warn('local agent exited; restarting', { code, signal, inMs: backoff });
      restartTimer = setTimeout(() => {
        restartTimer = null;
        if (!stopping) launch(port);
      }, backoff);
      restartTimer.unref();
      backoff = Math.min(MAX_BACKOFF_MS, backoff * 2);
    });
    log.info('local agent started', { pid: proc.pid, listen: `127.0.0.1:${port}` });
  };

  return {
    async start() {
      if (!existsSync(opts.cliPath))
        throw new AppError(
          'INTERNAL',
          `the agent build ${opts.cliPath} is missing (run npm run build, or start with --no-local-agent)`,
        );
      stopping = false;
      await replacePrevious();
      const { hostUuid, port } = await ensureIdentity();
      uuid = hostUuid;
      launch(port);
    },
    async stop(o = {}) {
      stopping = true;
      if (restartTimer) clearTimeout(restartTimer);
      const proc = child;
      if (!proc || proc.exitCode !== null) return;
      const exited = new Promise<void>((r) => proc.once('exit', () => r()));
      // SIGTERM: the agent leaves its deckies running; SIGUSR2: it stops them first (agent/cli.ts).
      proc.kill(o.stopDeckies ? 'SIGUSR2' : 'SIGTERM');
      const killer = setTimeout(() => proc.kill('SIGKILL'), o.stopDeckies ? 20_000 : 5000);
      await exited;
      clearTimeout(killer);
      await unlink(pidFile).catch(() => undefined);
    },
    pid: () => child?.pid ?? null,
    hostUuid: () => uuid,
  };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // already gone
  }
}

import { type ChildProcess, spawn } from 'node:child_process';
import { realpath } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Agent } from 'undici';
import { AppError } from '../../shared/errors';
import { createLogger } from '../../shared/node/logger';
import { createRouteClient } from '../../shared/node/route-client';
import { clientTlsOptions, fingerprintOfPem, httpsOrigin } from '../../shared/node/tls';
import { updaterApi } from '../../shared/protocol/updater-api';
import { loadAgentConfig } from '../config';
import { loadIdentity } from '../identity';
import { type AgentRunner, supervisedAgent } from './agent-runner';
import { LAUNCHED_ENV, type ToLauncher, type ToUpdater } from './launcher-ipc';
import { linkedVersion, pointLink, releaseLayout } from './release-store';
import { UpdaterEnv } from './run';
import { readSelfJob, selfJobFile } from './self-update';
import { writeFileAtomic } from '../../shared/node/atomic-file';

export const launcherHelp = `usage: decnet-agent updater-launcher [--listen HOST:PORT] [--dir DIR] [--restart CMD]

Runs the updater (decnet-agent updater, same flags and environment) from the updater's own
release, <root>/opt/decnet/updater (current until the first update-self), and restarts it into a
new one on update-self: when the new updater does not answer /health with its version within
DECNET_UPDATER_SELF_TIMEOUT_S (60), the previous one is started again and the job ends rolled_back.
Without --restart the launcher also supervises the agent, so the agent outlives every updater.
`;

/** `decnet-agent updater-launcher`: the updater's supervisor until SIGINT/SIGTERM. */
export async function runUpdaterLauncher(args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { listen: { type: 'string' }, dir: { type: 'string' }, restart: { type: 'string' } },
    strict: true,
  });
  const merged = {
    ...env,
    ...(values.listen ? { DECNET_UPDATER_LISTEN: values.listen } : {}),
    ...(values.dir ? { DECNET_AGENT_DIR: values.dir } : {}),
    ...(values.restart ? { DECNET_UPDATER_RESTART: values.restart } : {}),
  };
  const parsed = UpdaterEnv.safeParse(merged);
  if (!parsed.success) throw new AppError('INVALID_INPUT', parsed.error.issues[0]!.message);
  const agentConfig = loadAgentConfig({}, merged);
  if ('error' in agentConfig) throw new AppError('INVALID_INPUT', agentConfig.error);
  const c = parsed.data;
  const a = agentConfig.config;
  const layout = releaseLayout(a.DECNET_INSTALL_ROOT || '/');
  const jobFile = selfJobFile(a.DECNET_STATE_DIR);
  const log = createLogger({ level: a.DECNET_LOG_LEVEL, bindings: { app: 'decnet-updater-launcher' } });
  const identity = await loadIdentity(a.DECNET_AGENT_DIR);

  const { host, port } = c.DECNET_UPDATER_LISTEN;
  const probeHost = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host;
  const pin = fingerprintOfPem(identity.certPem);
  const dispatcher = new Agent({
    connect: { ...clientTlsOptions({ ...identity, pin, peerName: 'local updater' }), maxCachedSessions: 0 },
  });
  const probe = createRouteClient(updaterApi, {
    origin: httpsOrigin(probeHost, port),
    dispatcher,
    peer: 'local updater',
  });

  let child: ChildProcess | null = null;
  let closing = false;
  const send = (m: ToUpdater) => child?.connected && child.send(m);
  const agent: AgentRunner | null = c.DECNET_UPDATER_RESTART?.trim()
    ? null
    : supervisedAgent({ currentDir: layout.current, env: merged, log, onExit: (at) => send({ t: 'agent-exit', at }) });

  /** A self-update announced by the running updater, then (after its exit) the one being awaited. */
  type Announced = Extract<ToLauncher, { t: 'self-update' }>;
  let announced = null as Announced | null;
  let awaiting = null as (Announced & { cancel: () => void }) | null;
  let backoff = 250;

  const spawnUpdater = async (): Promise<void> => {
    if (closing) return;
    const dir = await realpath(layout.updater).catch(() => realpath(layout.current));
    const c2 = spawn(process.execPath, [join(dir, 'lib', 'cli.js'), 'updater'], {
      env: { ...merged, [LAUNCHED_ENV]: '1' },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    child = c2;
    c2.on('message', (raw) => {
      const m = raw as ToLauncher;
      if (m.t === 'self-update') announced = m;
      else if (m.t === 'restart-agent' && agent)
        agent.restart().then(
          () => send({ t: 'agent-restarted', id: m.id, error: null }),
          (e: unknown) => send({ t: 'agent-restarted', id: m.id, error: (e as Error).message }),
        );
    });
    c2.once('exit', (code, signal) => void exited(c2, code ?? signal ?? '?'));
  };

  /** The new updater failed: the link goes back, the job is ended, the previous updater starts. */
  const fallBack = async (reason: string): Promise<void> => {
    const w = awaiting;
    if (!w) return;
    awaiting = null;
    w.cancel();
    log.warn('new updater failed, falling back', { to: w.toVersion, back: w.fromVersion, reason });
    const prev = (await linkedVersion(layout.updaterPrevious)) ?? w.fromVersion;
    await pointLink(layout, layout.updater, prev);
    const job = await readSelfJob(jobFile);
    if (job?.id === w.jobId)
      await writeFileAtomic(
        jobFile,
        JSON.stringify({
          ...job,
          state: 'rolled_back',
          finishedAt: new Date().toISOString(),
          reason: `${reason}; the updater rolled back to ${prev}`,
        }),
      );
    const c2 = child;
    if (c2 && c2.exitCode === null && c2.signalCode === null) c2.kill('SIGKILL');
    else await spawnUpdater();
  };

  /** Probes the new updater's /health (this host's certificate) until it reports `toVersion`. */
  const watchNew = (w: Announced) => {
    let cancelled = false;
    awaiting = { ...w, cancel: () => (cancelled = true) };
    void (async () => {
      let last = 'no answer yet';
      while (!cancelled && !closing) {
        try {
          const h = await probe.health({}, { timeoutMs: 3000 });
          if (h.version === w.toVersion) {
            awaiting = null;
            send({ t: 'self-confirmed', jobId: w.jobId });
            log.info('new updater confirmed', { version: h.version });
            return;
          }
          last = `it reports ${h.version}`;
        } catch (e) {
          last = (e as Error).message;
        }
        if (Date.now() >= w.deadlineMs) {
          const s = Math.round(c.DECNET_UPDATER_SELF_TIMEOUT_S);
          return fallBack(`the new updater did not report ${w.toVersion} on /health within ${s} s (last: ${last})`);
        }
        await new Promise((r) => setTimeout(r, 200));
      }
    })().catch((e: unknown) => log.error('self-update watch failed', { error: (e as Error).message }));
  };

  const exited = async (c2: ChildProcess, how: number | string): Promise<void> => {
    if (child === c2) child = null;
    if (closing) return;
    if (announced) {
      const w = announced;
      announced = null;
      // The deadline counts from the new updater's start, not from the request.
      watchNew({ ...w, deadlineMs: Date.now() + c.DECNET_UPDATER_SELF_TIMEOUT_S * 1000 });
      return spawnUpdater();
    }
    if (awaiting) {
      const w = awaiting;
      await fallBack(`the new updater ${w.toVersion} exited (${how}) before answering /health`);
      return;
    }
    // A crash of a working updater: start it again, as systemd's Restart=on-failure would.
    log.warn('updater exited, restarting', { how, inMs: backoff });
    setTimeout(() => void spawnUpdater().catch((e: unknown) => log.error('updater start failed', { e })), backoff);
    backoff = Math.min(backoff * 2, 30_000);
  };

  if (agent && (await linkedVersion(layout.current))) await agent.restart();
  await spawnUpdater();
  process.stdout.write(`decnet-updater-launcher running the updater from ${layout.updater} (else current)\n`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
  closing = true;
  awaiting?.cancel();
  const c2 = child as ChildProcess | null;
  if (c2 && c2.exitCode === null && c2.signalCode === null) {
    const gone = new Promise((r) => c2.once('exit', r));
    c2.kill('SIGTERM');
    await gone;
  }
  await agent?.close();
  await dispatcher.close();
  return 0;
}

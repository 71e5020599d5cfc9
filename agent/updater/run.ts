import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { AppError } from '../../shared/errors';
import { createLogger } from '../../shared/node/logger';
import { UPDATER_DEFAULT_PORT } from '../../shared/protocol/updater-api';
import { loadAgentConfig } from '../config';
import { loadIdentity } from '../identity';
import { AGENT_VERSION } from '../version';
import { commandAgent, supervisedAgent } from './agent-runner';
import { agentHealthProbe } from './health-probe';
import { launcherAgent, parentChannel } from './launcher-ipc';
import { releaseLayout } from './release-store';
import { createSelfUpdater, selfJobFile } from './self-update';
import { createUpdaterServer } from './server';
import { createUpdater } from './updater';

export const updaterHelp = `usage: decnet-agent updater [--listen HOST:PORT] [--dir DIR] [--restart CMD]

Runs the updater daemon (decnet-updater.service): receives signed releases from the master,
installs them under DECNET_INSTALL_ROOT/opt/decnet/releases/<version>, switches current, restarts
the agent and rolls back on its own when the new one does not come up.

  --listen HOST:PORT  updater API address (default 0.0.0.0:${UPDATER_DEFAULT_PORT}; env DECNET_UPDATER_LISTEN)
  --dir DIR           identity directory (default /etc/decnet/agent; env DECNET_AGENT_DIR)
  --restart CMD       how to restart the agent, e.g. "systemctl restart decnet-agent.service"
                      (env DECNET_UPDATER_RESTART); without it the updater runs the agent itself
  -h, --help          this help

environment only: DECNET_AGENT_LISTEN (where /health is probed), DECNET_INSTALL_ROOT (/),
DECNET_UPDATER_HEALTH_TIMEOUT_S (60), DECNET_UPDATER_WATCH_S (600), DECNET_UPDATER_PROBE_MS (2000),
DECNET_UPDATER_CRASH_LIMIT (3), DECNET_UPDATER_SELF_TIMEOUT_S (60), DECNET_LOG_LEVEL (info)

update-self (a new updater release) needs the launcher: decnet-agent updater-launcher [same flags]
runs this updater from <root>/opt/decnet/updater (else current), restarts it into a new release
and falls back to the previous one when the new one does not answer /health in time.
`;

const count = (name: string, dflt: number, min: number) =>
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v === '') return dflt;
      const n = Number(v);
      if (!Number.isInteger(n) || n < min) {
        ctx.addIssue({ code: 'custom', message: `${name} must be a whole number of at least ${min}, got "${v}"` });
        return z.NEVER;
      }
      return n;
    });

export const UpdaterEnv = z.object({
  DECNET_UPDATER_LISTEN: z
    .string()
    .default(`0.0.0.0:${UPDATER_DEFAULT_PORT}`)
    .transform((v, ctx) => {
      const m = /^(.+):(\d{1,5})$/.exec(v);
      if (!m || Number(m[2]) > 65535) {
        ctx.addIssue({ code: 'custom', message: `DECNET_UPDATER_LISTEN must be HOST:PORT, got "${v}"` });
        return z.NEVER;
      }
      return { host: m[1]!.replace(/^\[|\]$/g, ''), port: Number(m[2]) };
    }),
  DECNET_UPDATER_RESTART: z.string().max(1024).optional(),
  DECNET_UPDATER_HEALTH_TIMEOUT_S: count('DECNET_UPDATER_HEALTH_TIMEOUT_S', 60, 1),
  DECNET_UPDATER_WATCH_S: count('DECNET_UPDATER_WATCH_S', 600, 0),
  DECNET_UPDATER_PROBE_MS: count('DECNET_UPDATER_PROBE_MS', 2000, 50),
  DECNET_UPDATER_CRASH_LIMIT: count('DECNET_UPDATER_CRASH_LIMIT', 3, 1),
  /** update-self: the new updater must answer /health with its version within this. */
  DECNET_UPDATER_SELF_TIMEOUT_S: count('DECNET_UPDATER_SELF_TIMEOUT_S', 60, 1),
});

/** `decnet-agent updater`: flags over env, then the daemon until SIGINT/SIGTERM. */
export async function runUpdater(args: string[], env: NodeJS.ProcessEnv): Promise<number> {
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
  const installRoot = a.DECNET_INSTALL_ROOT || '/';
  const log = createLogger({ level: a.DECNET_LOG_LEVEL, bindings: { app: 'decnet-updater' } });
  const identity = await loadIdentity(a.DECNET_AGENT_DIR);
  // The agent listens on a wildcard in production; its /health is probed on this host's loopback.
  const probeHost =
    a.DECNET_AGENT_LISTEN.host === '0.0.0.0'
      ? '127.0.0.1'
      : a.DECNET_AGENT_LISTEN.host === '::'
        ? '::1'
        : a.DECNET_AGENT_LISTEN.host;
  const restart = c.DECNET_UPDATER_RESTART?.trim();
  // Under the launcher (updater-launcher), it owns the agent in supervise mode, so this process
  // can be replaced by update-self without the agent noticing.
  const channel = parentChannel(env);
  const runner = restart
    ? commandAgent({ command: restart, log })
    : channel
      ? launcherAgent(channel)
      : supervisedAgent({ currentDir: releaseLayout(installRoot).current, env: merged, log });
  const updater = createUpdater({
    installRoot,
    caPem: identity.caPem,
    runner,
    probe: agentHealthProbe({ identity, address: probeHost, port: a.DECNET_AGENT_LISTEN.port }),
    log,
    version: AGENT_VERSION,
    jobFile: join(a.DECNET_STATE_DIR, 'updater', 'job.json'),
    timing: {
      healthTimeoutMs: c.DECNET_UPDATER_HEALTH_TIMEOUT_S * 1000,
      watchMs: c.DECNET_UPDATER_WATCH_S * 1000,
      probeIntervalMs: c.DECNET_UPDATER_PROBE_MS,
      crashLimit: c.DECNET_UPDATER_CRASH_LIMIT,
    },
  });
  let stopNow: () => void = () => undefined;
  const self = createSelfUpdater({
    installRoot,
    caPem: identity.caPem,
    version: AGENT_VERSION,
    jobFile: selfJobFile(a.DECNET_STATE_DIR),
    healthTimeoutMs: c.DECNET_UPDATER_SELF_TIMEOUT_S * 1000,
    channel,
    busy: () => {
      const j = updater.latest();
      return j && (j.state === 'running' || j.state === 'watching')
        ? `agent update job ${j.id} to ${j.toVersion} is still ${j.state}`
        : null;
    },
    exit: () => stopNow(),
    log,
  });
  await self.start();
  const server = createUpdaterServer({ identity, listen: c.DECNET_UPDATER_LISTEN, updater, self, log });
  await server.start();
  await updater.start({ startAgent: !restart && !channel });
  const addr = server.address();
  process.stdout.write(
    `decnet-updater ${AGENT_VERSION} listening on https://${addr.host}:${addr.port} (agent: ${restart ? `"${restart}"` : channel ? 'supervised by the launcher' : `supervised from ${join(installRoot, 'opt/decnet/current')}`})\n`,
  );
  await new Promise<void>((resolve) => {
    stopNow = resolve;
    // A launcher that died (even SIGKILL) closes the channel: stop, so the next one can listen.
    if (channel) process.once('disconnect', () => resolve());
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
  await server.stop();
  await updater.close();
  // The IPC channel would keep this process alive; the launcher sees it exit.
  if (channel && process.connected) process.disconnect?.();
  return 0;
}

import { type ChildProcess, spawn } from 'node:child_process';
import { realpath } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../../shared/node/logger';

/** How the updater (re)starts the agent after switching `current`. */
export type AgentRunner = Readonly<{
  /** Stops the running agent (if any) and starts the one under `current`. */
  restart(): Promise<void>;
  /** Exits of the agent since `since` (ms epoch); supervise mode only, else always 0. */
  exitsSince(since: number): number;
  close(): Promise<void>;
}>;

const STOP_GRACE_MS = 15_000;

/**
 * Supervise mode (no systemd, the tests): the updater runs `node current/lib/cli.js run` itself,
 * restarting it with backoff when it exits, and counts the exits for the crash-loop watch. The
 * agent's decky hosts are detached, so stopping it here leaves them answering (design §6).
 */
export function supervisedAgent(o: {
  currentDir: string;
  env: NodeJS.ProcessEnv;
  log: Logger;
  backoffMs?: { min: number; max: number };
  /** Told of each exit (the launcher forwards them to the updater's crash-loop watch). */
  onExit?: (at: number) => void;
}): AgentRunner {
  const backoff = o.backoffMs ?? { min: 250, max: 30_000 };
  let child: ChildProcess | null = null;
  let closed = false;
  let delay = backoff.min;
  let timer: NodeJS.Timeout | null = null;
  const exits: number[] = [];

  const start = async (): Promise<void> => {
    if (closed) return;
    // Resolved now: the process keeps the release it started from even when `current` moves.
    const cli = join(await realpath(o.currentDir), 'lib', 'cli.js');
    const c = spawn(process.execPath, [cli, 'run'], { env: o.env, stdio: ['ignore', 'inherit', 'inherit'] });
    child = c;
    const startedAt = Date.now();
    c.once('exit', (code, signal) => {
      if (child !== c) return;
      child = null;
      exits.push(Date.now());
      if (exits.length > 100) exits.shift();
      o.onExit?.(exits.at(-1)!);
      o.log.warn('agent exited', { code, signal });
      // A run of an hour resets the backoff; a crash loop backs off up to backoff.max.
      delay = Date.now() - startedAt > 60_000 ? backoff.min : Math.min(delay * 2, backoff.max);
      timer = setTimeout(() => void start().catch((e: unknown) => o.log.error('agent start failed', { e })), delay);
    });
  };

  const stop = async (): Promise<void> => {
    if (timer) clearTimeout(timer);
    timer = null;
    const c = child;
    child = null;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => c.once('exit', () => resolve()));
    c.kill('SIGTERM');
    const killer = setTimeout(() => c.kill('SIGKILL'), STOP_GRACE_MS);
    await exited;
    clearTimeout(killer);
  };

  return {
    async restart() {
      await stop();
      delay = backoff.min;
      await start();
    },
    exitsSince: (since) => exits.filter((t) => t >= since).length,
    async close() {
      closed = true;
      await stop();
    },
  };
}

/**
 * Command mode (systemd): `restart` runs DECNET_UPDATER_RESTART, e.g. `systemctl restart
 * decnet-agent.service`; systemd owns the agent, so crash loops are seen through /health only.
 */
export function commandAgent(o: { command: string; log: Logger; timeoutMs?: number }): AgentRunner {
  return {
    restart: () =>
      new Promise<void>((resolve, reject) => {
        const c = spawn('/bin/sh', ['-c', o.command], { stdio: 'inherit', timeout: o.timeoutMs ?? 60_000 });
        c.once('error', reject);
        c.once('exit', (code, signal) =>
          code === 0 ? resolve() : reject(new Error(`"${o.command}" exited ${code ?? signal ?? '?'}`)),
        );
      }),
    exitsSince: () => 0,
    close: () => Promise.resolve(),
  };
}

import type { AgentRunner } from './agent-runner';

/**
 * Messages between `decnet-agent updater-launcher` and the updater it runs (Node's IPC channel).
 * The launcher owns the agent in supervise mode, so the updater can be replaced without the agent
 * (or its deckies) noticing; the updater asks the launcher to restart the agent instead.
 */
export type ToLauncher =
  | { t: 'restart-agent'; id: number }
  /** The updater switched the `updater` link to `toVersion` and exits next: start that one. */
  | { t: 'self-update'; jobId: string; fromVersion: string; toVersion: string; deadlineMs: number };

export type ToUpdater =
  | { t: 'agent-restarted'; id: number; error: string | null }
  | { t: 'agent-exit'; at: number }
  /** The launcher saw the new updater answer /health with its version: the job is confirmed. */
  | { t: 'self-confirmed'; jobId: string };

/** The environment variable the launcher sets on the updater it runs. */
export const LAUNCHED_ENV = 'DECNET_UPDATER_LAUNCHED';

export type ParentChannel = Readonly<{
  send(msg: ToLauncher): void;
  on(handler: (msg: ToUpdater) => void): void;
}>;

/** This process's channel to the launcher, or null when it was not started by one. */
export function parentChannel(env: NodeJS.ProcessEnv): ParentChannel | null {
  if (env[LAUNCHED_ENV] !== '1' || typeof process.send !== 'function') return null;
  return {
    send: (msg) => void process.send?.(msg),
    on: (handler) => process.on('message', (m) => handler(m as ToUpdater)),
  };
}

/** AgentRunner over the launcher: restart is a request, exits are the launcher's reports. */
export function launcherAgent(channel: ParentChannel, timeoutMs = 60_000): AgentRunner {
  const exits: number[] = [];
  const waiting = new Map<number, (error: string | null) => void>();
  let next = 1;
  channel.on((m) => {
    if (m.t === 'agent-exit') {
      exits.push(m.at);
      if (exits.length > 100) exits.shift();
    } else if (m.t === 'agent-restarted') waiting.get(m.id)?.(m.error);
  });
  return {
    restart: () =>
      new Promise<void>((resolve, reject) => {
        const id = next++;
        const timer = setTimeout(() => done('the launcher did not restart the agent in time'), timeoutMs);
        const done = (error: string | null) => {
          clearTimeout(timer);
          waiting.delete(id);
          if (error) reject(new Error(error));
          else resolve();
        };
        waiting.set(id, done);
        channel.send({ t: 'restart-agent', id });
      }),
    exitsSince: (since) => exits.filter((t) => t >= since).length,
    close: () => Promise.resolve(),
  };
}

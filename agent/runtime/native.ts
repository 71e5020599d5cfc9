import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import type { DeckyRuntimeState } from '../../shared/domain/agent-status';
import type { DeckyConfig } from '../../shared/domain/decky';
import { AppError } from '../../shared/errors';
import { DeckyProcess } from './decky-process';
import type { Runtime, RuntimeContext } from './types';

/** The decky host bundle sits next to the running agent bundle (out/agent/). */
export const defaultDeckyHostScript = (): string => fileURLToPath(new URL('./decky-host.js', import.meta.url));

/** True for an address inside 127.0.0.0/8, the only range the loopback driver may bind. */
export function isLoopbackIp(ip: string): boolean {
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(ip);
}

/**
 * Deckies as supervised child processes, each bound to its own address. `up` on a running decky
 * with the same config is a no-op (a deploy never restarts what it does not change, unlike the
 * original's full-shard restart, its §13.16); a changed config replaces the child.
 */
export function createNativeRuntime(ctx: RuntimeContext, opts: { hostScript?: string; maxConcurrentStarts?: number } = {}): Runtime {
  const hostScript = opts.hostScript ?? defaultDeckyHostScript();
  const procs = new Map<string, DeckyProcess>();
  // Starting a decky host is CPU-bound (module load, first-run host keys): a 100-decky deploy that
  // starts everything at once makes every start slow enough to miss its ready deadline.
  const startSlot = createLimiter(opts.maxConcurrentStarts ?? Math.max(2, availableParallelism()));

  const validate = (decky: DeckyConfig): void => {
    if (ctx.network === 'loopback' && !isLoopbackIp(decky.ip)) {
      throw new AppError('INVALID_INPUT', `decky ${decky.name}: ip ${decky.ip} is not in 127.0.0.0/8, which the loopback network driver requires`);
    }
    if (ctx.network !== 'loopback') {
      throw new AppError('INVALID_INPUT', `the ${ctx.network} network driver is not available in the native runtime yet; run the agent with --network loopback`);
    }
  };

  const stopOne = async (name: string): Promise<void> => {
    const p = procs.get(name);
    if (!p) return;
    procs.delete(name);
    await p.stop();
  };

  return {
    name: 'native',
    validate,
    up: async (decky) => {
      validate(decky);
      const current = procs.get(decky.name);
      if (current && sameConfig(current.decky, decky) && current.status().running) return;
      await stopOne(decky.name);
      const p = new DeckyProcess({
        decky,
        hostScript,
        dataDir: join(ctx.dataDir, decky.name),
        onEvent: ctx.onEvent,
        clock: ctx.clock,
        log: ctx.log.child({ decky: decky.name }),
      });
      procs.set(decky.name, p);
      try {
        await startSlot(() => p.start());
      } catch (err) {
        if (procs.get(decky.name) === p) procs.delete(decky.name);
        throw err;
      }
    },
    down: async (name) => {
      const names = name === undefined ? [...procs.keys()] : [name];
      await Promise.all(names.map((n) => stopOne(n)));
    },
    status: () => {
      const out: Record<string, DeckyRuntimeState> = {};
      for (const [name, p] of procs) out[name] = p.status();
      return out;
    },
    close: async () => {
      await Promise.all([...procs.keys()].map((n) => stopOne(n)));
    },
  };
}

/** Runs at most `n` of the given tasks at a time, in call order. */
function createLimiter(n: number): <T>(fn: () => Promise<T>) => Promise<T> {
  let active = 0;
  const waiting: Array<() => void> = [];
  return async (fn) => {
    if (active >= n) await new Promise<void>((resolve) => waiting.push(resolve));
    active++;
    try {
      return await fn();
    } finally {
      active--;
      waiting.shift()?.();
    }
  };
}

function sameConfig(a: DeckyConfig, b: DeckyConfig): boolean {
  const strip = ({ lastMutated: _l, ...rest }: DeckyConfig) => rest;
  return JSON.stringify(strip(a)) === JSON.stringify(strip(b));
}

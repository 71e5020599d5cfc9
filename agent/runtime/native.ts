import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import type { DeckyRuntimeState } from '../../shared/domain/agent-status';
import type { DeckyConfig } from '../../shared/domain/decky';
import { AppError } from '../../shared/errors';
import { HostProcess } from './host-process';
import type { NodeSpawner } from '../../shared/node/node-spawner';
import type { Runtime, RuntimeContext } from './types';

/** The decky host bundle sits next to the running agent bundle (out/agent/). */
export const defaultDeckyHostScript = (): string => fileURLToPath(new URL('./decky-host.js', import.meta.url));

/** True for an address inside 127.0.0.0/8, the only range the loopback driver may bind. */
export function isLoopbackIp(ip: string): boolean {
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(ip);
}

/** Deckies one host process carries by default: amortises its ~70 MiB baseline (1 = one process per decky). */
export const defaultDeckiesPerProcess = 16;

export type NativeRuntimeOptions = { hostScript?: string; spawnNode?: NodeSpawner; maxConcurrentStarts?: number; deckiesPerProcess?: number };

/** The native runtime plus what tests and benches need to see its process layout. */
export type NativeRuntime = Runtime & Readonly<{ hostPid: (name: string) => number | undefined }>;

/**
 * Deckies hosted by a pool of supervised child processes, each decky bound to its own address.
 * `up` on a running decky with the same config is a no-op (a deploy never restarts what it does
 * not change, unlike the original's full-shard restart, its §13.16); a changed config replaces it.
 */
export function createNativeRuntime(ctx: RuntimeContext, opts: NativeRuntimeOptions = {}): NativeRuntime {
  const hostScript = opts.hostScript ?? defaultDeckyHostScript();
  const perProcess = Math.max(1, opts.deckiesPerProcess ?? defaultDeckiesPerProcess);
  const hosts = new Set<HostProcess>();
  const where = new Map<string, HostProcess>();
  /** The latest `up` per name, so a `down` while an `up` waits for a start slot cancels it. */
  const latest = new Map<string, object>();
  // Starting deckies is CPU-bound (module load, first-run host keys): a 100-decky deploy that
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

  /** A process with room, or a new one: fills processes before opening another. */
  const place = (): HostProcess => {
    for (const h of hosts) if (h.accepting && h.size < perProcess) return h;
    const h: HostProcess = new HostProcess({ hostScript, spawnNode: opts.spawnNode, onEvent: ctx.onEvent, clock: ctx.clock, log: ctx.log.child({ component: 'decky-host-supervisor' }), onGone: () => hosts.delete(h) });
    hosts.add(h);
    return h;
  };

  const stopOne = async (name: string): Promise<void> => {
    const h = where.get(name);
    if (!h) return;
    where.delete(name);
    await h.remove(name);
  };

  const allNames = () => new Set([...where.keys(), ...latest.keys()]);

  return {
    name: 'native',
    validate,
    up: async (decky) => {
      validate(decky);
      const current = where.get(decky.name);
      const config = current?.config(decky.name);
      if (current && config && sameConfig(config, decky) && current.status(decky.name)?.running) return;
      const token = {};
      latest.set(decky.name, token);
      await stopOne(decky.name);
      await startSlot(async () => {
        if (latest.get(decky.name) !== token) throw new AppError('INTERNAL', `decky ${decky.name} was stopped or replaced before it started`);
        const h = place();
        where.set(decky.name, h);
        try {
          await h.add(decky, join(ctx.dataDir, decky.name));
        } catch (err) {
          if (where.get(decky.name) === h) where.delete(decky.name);
          throw err;
        } finally {
          if (latest.get(decky.name) === token) latest.delete(decky.name);
        }
      });
    },
    down: async (name) => {
      const names = name === undefined ? [...allNames()] : [name];
      for (const n of names) latest.delete(n);
      await Promise.all(names.map((n) => stopOne(n)));
    },
    status: () => {
      const out: Record<string, DeckyRuntimeState> = {};
      for (const [name, h] of where) {
        const s = h.status(name);
        if (s) out[name] = s;
      }
      return out;
    },
    close: async () => {
      latest.clear();
      where.clear();
      await Promise.all([...hosts].map((h) => h.close()));
    },
    hostPid: (name) => where.get(name)?.pid,
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

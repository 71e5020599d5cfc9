import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { DeckyRuntimeState } from '../../../shared/domain/agent-status';
import type { DeckyConfig } from '../../../shared/domain/decky';
import { AttackerEvent } from '../../../shared/domain/events';
import { AppError, toAppError } from '../../../shared/errors';
import type { NodeSpawner } from '../../../shared/node/node-spawner';
import { hostFiles, type HostRegistryEntry, isAlive, readRegistry, removeHostFiles } from './decky-host-channel';
import { HostProcess, type HostProcessOptions } from './host-process';
import type { Runtime, RuntimeContext } from '../types';
import { createLimiter } from '../../../shared/node/serial';

/** The decky host bundle sits next to the running agent bundle (out/agent/). */
export const defaultDeckyHostScript = (): string => fileURLToPath(new URL('./decky-host.js', import.meta.url));

/** True for an address inside 127.0.0.0/8, the only range the loopback driver may bind. */
export function isLoopbackIp(ip: string): boolean {
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(ip);
}

/** Deckies one host process carries by default: amortises its ~70 MiB baseline (1 = one process per decky). */
export const defaultDeckiesPerProcess = 16;

/**
 * Host processes a worker opens by default before it packs further deckies into the least loaded
 * one: 16 a process up to 128 deckies, then 8 processes sharing them (1,000 deckies ≈ 125 each).
 * Each process is a ~70 MiB baseline, so at 16 a process 1,000 deckies were ~4.4 GB; capped, the
 * baselines stay ~560 MiB and a crash restarts an eighth of the worker (bench/decky-density.bench.ts).
 */
export const defaultMaxHostProcesses = 8;

export type NativeRuntimeOptions = {
  hostScript?: string;
  spawnNode?: NodeSpawner;
  maxConcurrentStarts?: number;
  deckiesPerProcess?: number;
  /** Host processes opened before deckies are packed past `deckiesPerProcess`; default `defaultMaxHostProcesses`. */
  maxHostProcesses?: number;
};

/** The native runtime plus what tests and benches need to see its process layout. */
export type NativeRuntime = Runtime &
  Readonly<{
    hostPid: (name: string) => number | undefined;
    hostsDir: string;
    attach: () => Promise<void>;
    detach: () => Promise<void>;
  }>;

/**
 * Deckies hosted by a pool of supervised child processes, each decky bound to its own address.
 * `up` on a running decky with the same config is a no-op (a deploy never restarts what it does
 * not change, unlike the original's full-shard restart, its §13.16); a changed config replaces it.
 */
export function createNativeRuntime(ctx: RuntimeContext, opts: NativeRuntimeOptions = {}): NativeRuntime {
  const hostScript = opts.hostScript ?? defaultDeckyHostScript();
  const perProcess = Math.max(1, opts.deckiesPerProcess ?? defaultDeckiesPerProcess);
  const maxProcesses = Math.max(1, opts.maxHostProcesses ?? defaultMaxHostProcesses);
  const hostsDir = ctx.hostsDir ?? join(ctx.dataDir, '.hosts');
  const flushEvents = ctx.flushEvents ?? (() => Promise.resolve());
  const hosts = new Set<HostProcess>();
  const where = new Map<string, HostProcess>();
  /** The latest `up` per name, so a `down` while an `up` waits for a start slot cancels it. */
  const latest = new Map<string, object>();
  // Starting deckies is CPU-bound (module load, first-run host keys): a 100-decky deploy that
  // starts everything at once makes every start slow enough to miss its ready deadline.
  const startSlot = createLimiter(opts.maxConcurrentStarts ?? Math.max(2, availableParallelism()));

  const validate = (decky: DeckyConfig): void => {
    if (ctx.network === 'loopback' && !isLoopbackIp(decky.ip)) {
      throw new AppError(
        'INVALID_INPUT',
        `decky ${decky.name}: ip ${decky.ip} is not in 127.0.0.0/8, which the loopback network driver requires`,
      );
    }
    if (ctx.network !== 'loopback' && !ctx.deckyNetwork) {
      throw new AppError(
        'INVALID_INPUT',
        `the ${ctx.network} network driver has no parent interface configured; run the agent with --parent IFACE`,
      );
    }
  };
  const net = ctx.network === 'loopback' ? undefined : ctx.deckyNetwork;
  /** The config each decky was asked for (its address may differ once re-localised). */
  const requested = new Map<string, DeckyConfig>();

  /**
   * A process with room, or a new one: fills processes before opening another; at the process cap,
   * the least loaded one takes the decky past `perProcess`.
   */
  const place = (): HostProcess => {
    let least: HostProcess | undefined;
    let open = 0;
    for (const h of hosts) {
      if (!h.accepting) continue;
      if (h.size < perProcess) return h;
      open++;
      if (!least || h.size < least.size) least = h;
    }
    if (least && open >= maxProcesses) return least;
    const h: HostProcess = new HostProcess(hostOptions(() => hosts.delete(h)));
    hosts.add(h);
    return h;
  };

  const hostOptions = (onGone: () => void): HostProcessOptions => ({
    hostScript,
    hostsDir,
    ...(opts.spawnNode ? { spawnNode: opts.spawnNode } : {}),
    onEvent: ctx.onEvent,
    flushEvents,
    clock: ctx.clock,
    log: ctx.log.child({ component: 'decky-host-supervisor' }),
    onGone,
  });

  /** A host process that died while no agent watched: its spooled events still reach the master. */
  const salvage = async (entry: HostRegistryEntry): Promise<void> => {
    const text = await readFile(hostFiles(hostsDir, entry.id).spool, 'utf8').catch(() => '');
    let n = 0;
    for (const line of text.split('\n')) {
      const parsed = line.trim() ? AttackerEvent.safeParse(safeJson(line)) : null;
      if (parsed?.success) {
        ctx.onEvent(parsed.data);
        n++;
      }
    }
    await flushEvents();
    await removeHostFiles(hostsDir, entry.id);
    ctx.log.warn('a decky host process died while no agent was attached; its deckies are stopped', {
      pid: entry.pid,
      deckies: entry.deckies,
      salvagedEvents: n,
    });
  };

  /** Takes over the host processes a previous agent left running (agent start; nothing is restarted). */
  const attach = async (): Promise<void> => {
    const { entries, bad } = await readRegistry(hostsDir);
    for (const b of bad) ctx.log.warn('ignoring an unreadable decky host registry entry', b);
    for (const entry of entries) {
      if (!isAlive(entry.pid)) {
        await salvage(entry).catch((err: unknown) =>
          ctx.log.error('cannot salvage a dead decky host', { pid: entry.pid, err: toAppError(err).message }),
        );
        continue;
      }
      try {
        const h: HostProcess = await HostProcess.reattach(
          hostOptions(() => hosts.delete(h)),
          entry,
        );
        hosts.add(h);
        for (const name of h.names()) {
          if (where.has(name))
            ctx.log.warn('two host processes claim one decky; keeping the first', { decky: name, pid: entry.pid });
          else where.set(name, h);
        }
        ctx.log.info('re-attached to a running decky host', { pid: entry.pid, deckies: h.names() });
      } catch (err) {
        // Alive but not answering as that host (a reused pid, or wedged): never kill what may not be ours.
        ctx.log.warn('cannot re-attach to a decky host; leaving it alone', {
          pid: entry.pid,
          err: toAppError(err).message,
        });
      }
    }
  };

  const stopOne = async (name: string): Promise<void> => {
    const h = where.get(name);
    if (!h) return;
    where.delete(name);
    requested.delete(name);
    await h.remove(name);
    await net?.detach(name);
  };

  const allNames = () => new Set([...where.keys(), ...latest.keys()]);

  return {
    name: 'native',
    validate,
    up: async (decky) => {
      validate(decky);
      const current = where.get(decky.name);
      const config = requested.get(decky.name) ?? current?.config(decky.name);
      if (current && config && sameConfig(config, decky) && current.status(decky.name)?.running) return;
      const token = {};
      latest.set(decky.name, token);
      await stopOne(decky.name);
      // Namespace, LAN address (re-localised and ARP-probed: I/O-bound, so outside the start slots)
      // and sysctls before any service binds.
      const attached = net ? await net.attach(decky) : undefined;
      await startSlot(async () => {
        if (latest.get(decky.name) !== token) {
          if (attached) await net?.detach(decky.name);
          throw new AppError('INTERNAL', `decky ${decky.name} was stopped or replaced before it started`);
        }
        const h = place();
        where.set(decky.name, h);
        requested.set(decky.name, decky);
        try {
          await h.add(
            attached ? { ...decky, ip: attached.ip } : decky,
            join(ctx.dataDir, decky.name),
            attached ? { netns: attached.ns } : {},
          );
        } catch (err) {
          if (where.get(decky.name) === h) {
            where.delete(decky.name);
            requested.delete(decky.name);
          }
          await net?.detach(decky.name);
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
        const ip = net?.addressOf(name);
        if (s) out[name] = ip ? { ...s, ip } : s;
      }
      return out;
    },
    close: async () => {
      latest.clear();
      const names = [...where.keys()];
      where.clear();
      requested.clear();
      await Promise.all([...hosts].map((h) => h.close()));
      if (net) for (const n of names) await net.detach(n);
    },
    attach,
    detach: async () => {
      latest.clear();
      where.clear();
      await Promise.all([...hosts].map((h) => h.detach()));
    },
    hostPid: (name) => where.get(name)?.pid,
    hostsDir,
  };
}

/** JSON.parse that answers null for a line that is not JSON (registry, spool and config files). */
export function safeJson(line: string): unknown {
  try {
    return JSON.parse(line);
  } catch {
    return null;
  }
}

/** The same decky apart from when it was last mutated: `up` then changes nothing. */
export function sameConfig(a: DeckyConfig, b: DeckyConfig): boolean {
  const strip = ({ lastMutated: _l, ...rest }: DeckyConfig) => rest;
  return JSON.stringify(strip(a)) === JSON.stringify(strip(b));
}

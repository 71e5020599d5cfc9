import { type ChildProcess, spawn } from 'node:child_process';
import type { DeckyRuntimeState } from '../../shared/domain/agent-status';
import type { DeckyConfig } from '../../shared/domain/decky';
import type { Logger } from '../../shared/node/logger';
import { headlessNodeSpawner, type NodeSpawner } from '../../shared/node/node-spawner';
import { AppError } from '../../shared/errors';
import type { Clock } from '../clock';
import { ChildMessage, type ParentMessage, type ReadyMessage } from '../decky-host-protocol';
import type { EventSink } from './types';

const READY_TIMEOUT_MS = 30_000;
const STOP_GRACE_MS = 5_000;
const BACKOFF_MIN_MS = 250;
const BACKOFF_MAX_MS = 30_000;
/** A child that stayed up this long is healthy again: its next crash restarts at the minimum delay. */
const STABLE_MS = 60_000;

type ServiceState = DeckyRuntimeState['services'][string];

type Slot = {
  decky: DeckyConfig;
  dataDir: string;
  services: Record<string, ServiceState>;
  restarts: number;
  lastError: string | undefined;
  /** Became ready once: from then on a crash or failed restart is this supervisor's to retry. */
  supervised: boolean;
  /** Settles the start waiting for this decky's 'ready'. */
  settle: ((err?: AppError) => void) | null;
  backoffMs: number;
  cancelRetry: (() => void) | null;
};

export type HostProcessOptions = Readonly<{
  hostScript: string;
  /** How to start a Node child here (Electron-as-Node inside the desktop app); default process.execPath. */
  spawnNode?: NodeSpawner;
  onEvent: EventSink;
  clock: Clock;
  log: Logger;
  /** Called once the process has exited for good (emptied, closed, or crashed with nothing to restart). */
  onGone: () => void;
}>;

/**
 * One supervised child process hosting several deckies. A decky's first start is reported to the
 * caller (ready or its bind errors); a crash of the process restarts it with exponential backoff
 * and re-starts every decky it hosted, each counting the restart, never silently.
 */
export class HostProcess {
  private child: ChildProcess | null = null;
  private readonly slots = new Map<string, Slot>();
  private readonly stopWaiters = new Map<string, Array<() => void>>();
  private closing: Promise<void> | null = null;
  private gone = false;
  private backoffMs = BACKOFF_MIN_MS;
  private cancelRespawn: (() => void) | null = null;
  private spawnedAt = 0;

  constructor(private readonly opts: HostProcessOptions) {}

  /** Number of deckies placed here (starting or running). */
  get size(): number {
    return this.slots.size;
  }

  /** Can take another decky now: not closing, not gone, not waiting to respawn after a crash. */
  get accepting(): boolean {
    return !this.closing && !this.gone && !this.cancelRespawn;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  config(name: string): DeckyConfig | undefined {
    return this.slots.get(name)?.decky;
  }

  status(name: string): DeckyRuntimeState | undefined {
    const s = this.slots.get(name);
    if (!s) return undefined;
    const running = this.child !== null && s.settle === null && Object.values(s.services).every((x) => x === 'running');
    return { running, restarts: s.restarts, services: { ...s.services }, ...(s.lastError ? { error: s.lastError.slice(0, 2000) } : {}) };
  }

  /** Starts a decky here; resolves when every service listens, rejects (leaving nothing of it running) otherwise. */
  async add(decky: DeckyConfig, dataDir: string): Promise<void> {
    if (!this.accepting) throw new AppError('INTERNAL', `decky ${decky.name}: its host process is shutting down`);
    const slot: Slot = { decky, dataDir, services: Object.fromEntries(decky.services.map((s) => [s, 'stopped' as const])), restarts: 0, lastError: undefined, supervised: false, settle: null, backoffMs: BACKOFF_MIN_MS, cancelRetry: null };
    this.slots.set(decky.name, slot);
    if (!this.child) this.spawnChild();
    try {
      await this.requestStart(slot);
    } catch (err) {
      if (this.slots.get(decky.name) === slot) await this.remove(decky.name);
      throw err;
    }
  }

  /** Stops one decky; the process exits once it hosts none. Unknown names are a no-op. */
  async remove(name: string): Promise<void> {
    const slot = this.slots.get(name);
    if (!slot) return;
    this.slots.delete(name);
    slot.cancelRetry?.();
    slot.settle?.(new AppError('INTERNAL', `decky ${name} was stopped before it was ready`));
    if (this.slots.size === 0) return this.close();
    const child = this.child;
    if (!child?.connected) return;
    const stopped = new Promise<void>((resolve) => this.stopWaiters.set(name, [...(this.stopWaiters.get(name) ?? []), resolve]));
    child.send({ type: 'stop', name } satisfies ParentMessage, () => undefined);
    // A child that cannot stop one decky in time is wedged: killing it restarts its other deckies.
    const cancel = this.opts.clock.setTimer(() => child.kill('SIGKILL'), STOP_GRACE_MS);
    await stopped;
    cancel();
  }

  /** Stops every decky and the process; no restart follows. */
  close(): Promise<void> {
    return (this.closing ??= this.shutdown());
  }

  private async shutdown(): Promise<void> {
    this.cancelRespawn?.();
    this.cancelRespawn = null;
    for (const [name, slot] of [...this.slots]) {
      this.slots.delete(name);
      slot.cancelRetry?.();
      slot.settle?.(new AppError('INTERNAL', `decky ${name} was stopped before it was ready`));
    }
    const child = this.child;
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      if (child.connected) child.send({ type: 'stop' } satisfies ParentMessage, () => undefined);
      else child.kill('SIGTERM');
      const cancel = this.opts.clock.setTimer(() => child.kill('SIGKILL'), STOP_GRACE_MS);
      await exited;
      cancel();
    }
    this.markGone();
  }

  private markGone(): void {
    if (this.gone) return;
    this.gone = true;
    this.opts.onGone();
  }

  private spawnChild(): void {
    const spec = (this.opts.spawnNode ?? headlessNodeSpawner())(this.opts.hostScript, [], process.env);
    const child = spawn(spec.command, spec.args, { env: spec.env, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    this.child = child;
    this.spawnedAt = Date.now();
    child.on('message', (raw) => this.onMessage(raw));
    child.once('error', (err) => {
      // A process that never started emits no 'exit' of its own.
      if (child.pid === undefined) this.onExit(child, null, null, `cannot start a decky host process: ${err.message}`);
    });
    child.once('exit', (code, signal) => this.onExit(child, code, signal));
  }

  private requestStart(slot: Slot): Promise<void> {
    const { decky } = slot;
    for (const s of Object.keys(slot.services)) slot.services[s] = 'starting';
    return new Promise<void>((resolve, reject) => {
      const cancelTimeout = this.opts.clock.setTimer(
        () => slot.settle?.(new AppError('INTERNAL', `decky ${decky.name} did not report ready within ${READY_TIMEOUT_MS / 1000} s`)),
        READY_TIMEOUT_MS,
      );
      slot.settle = (err) => {
        slot.settle = null;
        cancelTimeout();
        if (!err) return resolve();
        slot.lastError = err.message;
        reject(err);
      };
      const child = this.child;
      if (!child) return slot.settle(new AppError('INTERNAL', `decky ${decky.name}: its host process is not running`));
      child.send({ type: 'start', decky, dataDir: slot.dataDir } satisfies ParentMessage, (err) => {
        if (err) slot.settle?.(new AppError('INTERNAL', `cannot talk to the host process of decky ${decky.name}: ${err.message}`));
      });
    });
  }

  private onMessage(raw: unknown): void {
    const parsed = ChildMessage.safeParse(raw);
    if (!parsed.success) return this.opts.log.warn('ignoring a malformed message from a decky host');
    const msg = parsed.data;
    if (msg.type === 'event') return this.opts.onEvent(msg.event);
    if (msg.type === 'fatal') {
      this.opts.log.error('decky host reported a fatal error', { message: msg.message });
      for (const slot of this.slots.values()) slot.lastError = msg.message;
      return;
    }
    if (msg.type === 'stopped') {
      if (msg.name === undefined) return;
      for (const resolve of this.stopWaiters.get(msg.name) ?? []) resolve();
      this.stopWaiters.delete(msg.name);
      return;
    }
    this.onReady(msg);
  }

  private onReady(msg: ReadyMessage): void {
    const slot = this.slots.get(msg.name);
    if (!slot?.settle) return;
    const { decky } = slot;
    slot.services = { ...slot.services, ...msg.services };
    const failed = Object.entries(msg.errors).map(([svc, e]) => `${svc}: ${e ?? 'failed'}`);
    const failedNames = Object.entries(msg.services).filter(([, s]) => s === 'failed');
    if (failed.length || failedNames.length) {
      slot.settle(new AppError('INTERNAL', `decky ${decky.name} (${decky.ip}) could not start: ${failed.join('; ') || failedNames.map(([n]) => `${n} failed`).join('; ')}`));
      return;
    }
    slot.lastError = undefined;
    slot.supervised = true;
    slot.backoffMs = BACKOFF_MIN_MS;
    slot.settle();
  }

  private onExit(child: ChildProcess, code: number | null, signal: NodeJS.Signals | null, why?: string): void {
    if (this.child !== child) return;
    this.child = null;
    for (const resolve of [...this.stopWaiters.values()].flat()) resolve();
    this.stopWaiters.clear();
    if (this.closing) return;
    const how = why ?? `decky host exited unexpectedly (${signal ?? `code ${code}`})`;
    const toRestart: Slot[] = [];
    for (const slot of [...this.slots.values()]) {
      for (const s of Object.keys(slot.services)) slot.services[s] = 'stopped';
      slot.cancelRetry?.();
      slot.cancelRetry = null;
      // A decky that never became ready was reported to whoever started it (its add() removes it).
      if (!slot.supervised) {
        slot.settle?.(new AppError('INTERNAL', `decky ${slot.decky.name} exited before it was ready (${signal ?? `code ${code}`})`));
        continue;
      }
      slot.settle?.(new AppError('INTERNAL', how));
      slot.restarts += 1;
      slot.lastError = `${how}; restart ${slot.restarts}`;
      toRestart.push(slot);
    }
    if (toRestart.length === 0) {
      if (this.slots.size === 0) this.markGone();
      return;
    }
    if (Date.now() - this.spawnedAt > STABLE_MS) this.backoffMs = BACKOFF_MIN_MS;
    const delay = this.backoffMs;
    this.backoffMs = Math.min(this.backoffMs * 2, BACKOFF_MAX_MS);
    this.opts.log.warn('decky host crashed; restarting', { code, signal, deckies: toRestart.map((s) => s.decky.name), inMs: delay });
    this.cancelRespawn = this.opts.clock.setTimer(() => {
      this.cancelRespawn = null;
      if (this.closing) return;
      if (this.slots.size === 0) return void this.close();
      this.spawnChild();
      for (const slot of this.slots.values()) this.restartSlot(slot);
    }, delay);
  }

  /** Re-starts a supervised decky in the current child; a failure is counted and retried with backoff. */
  private restartSlot(slot: Slot): void {
    const child = this.child;
    this.requestStart(slot).catch((err: unknown) => {
      // The process died meanwhile: its exit handler already counted and scheduled the restart.
      if (this.child !== child || this.slots.get(slot.decky.name) !== slot || this.closing) return;
      slot.restarts += 1;
      slot.lastError = `${(err as Error).message}; restart ${slot.restarts}`;
      this.opts.log.error('decky restart failed', { decky: slot.decky.name, err: (err as Error).message, inMs: slot.backoffMs });
      const delay = slot.backoffMs;
      slot.backoffMs = Math.min(slot.backoffMs * 2, BACKOFF_MAX_MS);
      slot.cancelRetry = this.opts.clock.setTimer(() => {
        slot.cancelRetry = null;
        if (this.child && this.slots.get(slot.decky.name) === slot) this.restartSlot(slot);
      }, delay);
    });
  }
}

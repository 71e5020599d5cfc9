// Supervision of one decky host process: its deckies' starts and stops, crash restarts with
// backoff, event acks, and adoption of a host a previous agent left running. Spawning and the
// hello handshake are in host-child.ts; a decky's slot is in host-slot.ts.
import type { Socket } from 'node:net';
import type { DeckyRuntimeState } from '../../../shared/domain/agent-status';
import type { DeckyConfig } from '../../../shared/domain/decky';
import type { Logger } from '../../../shared/node/logger';
import type { NodeSpawner } from '../../../shared/node/node-spawner';
import { AppError } from '../../../shared/errors';
import type { Clock } from '../../clock';
import { type HostRegistryEntry, isAlive, type LineChannel, lineChannel, connectControl } from './decky-host-channel';
import { ChildMessage, type ParentMessage, type ReadyMessage } from './decky-host-protocol';
import { awaitHello, DEATH_POLL_MS, kill, spawnDetachedHost, waitDeath } from './host-child';
import { adoptedSlot, BACKOFF_MAX_MS, BACKOFF_MIN_MS, newSlot, type Slot, type SlotNetwork } from './host-slot';
import type { EventSink } from '../types';

export type { SlotNetwork } from './host-slot';

const READY_TIMEOUT_MS = 30_000;
const STOP_GRACE_MS = 5_000;
/** How long a fresh host process may take to open its control socket. */
const CONNECT_TIMEOUT_MS = 15_000;
/** A host whose control socket closed but whose process lingers this long is wedged: it is killed. */
const LINGER_MS = 2_000;
const ACK_DELAY_MS = 20;
/** A child that stayed up this long is healthy again: its next crash restarts at the minimum delay. */
const STABLE_MS = 60_000;

export type HostProcessOptions = Readonly<{
  hostScript: string;
  /** Where host processes keep their control socket, registry entry, event spool and log. */
  hostsDir: string;
  /** How to start a Node child here (Electron-as-Node inside the desktop app); default process.execPath. */
  spawnNode?: NodeSpawner;
  onEvent: EventSink;
  /** Resolves once every event passed to onEvent so far is on the agent's disk (then it is acked). */
  flushEvents: () => Promise<void>;
  clock: Clock;
  log: Logger;
  /** Called once the process has exited for good (emptied, closed, or crashed with nothing to restart). */
  onGone: () => void;
}>;

/** The running host process this supervisor talks to, spawned by it or adopted from a previous agent. */
type Attached = { id: string; pid: number; socket: Socket; channel: LineChannel; dead: boolean };

/**
 * One supervised host process hosting several deckies, in its own session so it outlives the
 * agent; the agent talks to it over its control socket. A decky's first start is reported to the
 * caller (ready or its bind errors); a crash of the process restarts it with exponential backoff
 * and re-starts every decky it hosted, each counting the restart, never silently. `detach` lets go
 * of it without stopping anything; `HostProcess.adopt` takes over one a previous agent left running.
 */
export class HostProcess {
  private child: Attached | null = null;
  private detached = false;
  private unacked: string[] = [];
  private ackTimer: (() => void) | null = null;
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

  /**
   * Takes over a host process a previous agent left running, found by its registry entry: its
   * control socket must answer with a hello naming the same id and pid (a reused pid does not).
   * Its deckies are supervised from now on as if this agent had started them; nothing is restarted.
   */
  static async reattach(opts: HostProcessOptions, entry: HostRegistryEntry, timeoutMs = 3_000): Promise<HostProcess> {
    const { socket, channel, hello, early, route } = await awaitHello(entry, timeoutMs);
    const h = new HostProcess(opts);
    for (const { start, ready } of hello.deckies) h.slots.set(start.decky.name, adoptedSlot(start, ready));
    h.spawnedAt = Date.parse(hello.startedAt) || Date.now();
    h.attach(hello.id, hello.pid, socket, channel);
    route((raw) => {
      if (h.child?.socket === socket) h.onMessage(raw);
    });
    for (const raw of early) h.onMessage(raw);
    return h;
  }

  /** Names of the deckies hosted here. */
  names(): string[] {
    return [...this.slots.keys()];
  }

  /** Stops supervising and lets go of the host process, which keeps serving (agent stop/restart). */
  async detach(): Promise<void> {
    this.detached = true;
    this.cancelRespawn?.();
    this.cancelRespawn = null;
    for (const slot of this.slots.values()) slot.cancelRetry?.();
    await this.sendAcks();
    const c = this.child;
    this.child = null;
    c?.socket.end();
    this.markGone();
  }

  config(name: string): DeckyConfig | undefined {
    return this.slots.get(name)?.decky;
  }

  status(name: string): DeckyRuntimeState | undefined {
    const s = this.slots.get(name);
    if (!s) return undefined;
    const running = this.child !== null && s.settle === null && Object.values(s.services).every((x) => x === 'running');
    return {
      running,
      restarts: s.restarts,
      services: { ...s.services },
      ...(s.lastError ? { error: s.lastError.slice(0, 2000) } : {}),
    };
  }

  /** Starts a decky here; resolves when every service listens, rejects (leaving nothing of it running) otherwise. */
  async add(decky: DeckyConfig, dataDir: string, network: SlotNetwork = {}): Promise<void> {
    if (!this.accepting) throw new AppError('INTERNAL', `decky ${decky.name}: its host process is shutting down`);
    const slot = newSlot(decky, dataDir, network);
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
    if (!child) return;
    const stopped = new Promise<void>((resolve) =>
      this.stopWaiters.set(name, [...(this.stopWaiters.get(name) ?? []), resolve]),
    );
    this.sendToChild({ type: 'stop', name });
    // A child that cannot stop one decky in time is wedged: killing it restarts its other deckies.
    const cancel = this.opts.clock.setTimer(() => kill(child.pid, 'SIGKILL'), STOP_GRACE_MS);
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
    if (child && !child.dead) {
      if (!child.socket || !child.channel.send({ type: 'stop' } satisfies ParentMessage)) kill(child.pid, 'SIGTERM');
      const cancel = this.opts.clock.setTimer(() => kill(child.pid, 'SIGKILL'), STOP_GRACE_MS);
      await waitDeath(child.pid);
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
    this.spawnedAt = Date.now();
    const { id, pid, socketPath } = spawnDetachedHost(this.opts, this.log);
    const placeholder: Attached = {
      id,
      pid: pid ?? 0,
      socket: null as unknown as Socket,
      channel: { send: () => false, writable: () => false, close: () => undefined },
      dead: pid === undefined,
    };
    this.child = placeholder;
    if (pid === undefined)
      return void queueMicrotask(() => this.onExit(placeholder, 'cannot start a decky host process'));
    void this.connectSpawned(placeholder, socketPath);
  }

  /** Waits for a fresh host process to open its control socket, then attaches to it. */
  private async connectSpawned(placeholder: Attached, path: string): Promise<void> {
    const deadline = Date.now() + CONNECT_TIMEOUT_MS;
    for (;;) {
      if (this.child !== placeholder) return;
      if (!isAlive(placeholder.pid))
        return this.onExit(placeholder, 'decky host exited before opening its control socket');
      try {
        const socket = await connectControl(path, 1000);
        if (this.child !== placeholder) return void socket.destroy();
        return this.attach(placeholder.id, placeholder.pid, socket);
      } catch {
        if (Date.now() > deadline) {
          kill(placeholder.pid, 'SIGKILL');
          return this.onExit(
            placeholder,
            `decky host did not open its control socket within ${CONNECT_TIMEOUT_MS / 1000} s`,
          );
        }
        await new Promise((r) => setTimeout(r, DEATH_POLL_MS));
      }
    }
  }

  private attach(id: string, pid: number, socket: Socket, channel?: LineChannel): void {
    const attached: Attached = { id, pid, socket, channel: null as unknown as LineChannel, dead: false };
    // Requests queued while the socket was opening (starts of the first deckies) go out now.
    const waiting = this.child && this.child.pid === pid ? this.queued : [];
    this.queued = [];
    attached.channel =
      channel ??
      lineChannel(socket, {
        message: (raw) => {
          if (this.child === attached) this.onMessage(raw);
        },
        bad: (why) => this.log.warn('dropping a decky host connection', { why }),
      });
    this.child = attached;
    for (const msg of waiting) attached.channel.send(msg);
    socket.once('close', () => {
      if (this.child !== attached || this.detached) return;
      void this.awaitExit(attached);
    });
  }

  /** The control socket closed under us: the process died, or is wedged and is killed. */
  private async awaitExit(attached: Attached): Promise<void> {
    const deadline = Date.now() + LINGER_MS;
    while (isAlive(attached.pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, DEATH_POLL_MS));
    if (isAlive(attached.pid)) {
      this.log.warn('decky host closed its control socket but still runs; killing it', { pid: attached.pid });
      kill(attached.pid, 'SIGKILL');
      await waitDeath(attached.pid);
    }
    this.onExit(attached, undefined);
  }

  private get log(): Logger {
    return this.opts.log;
  }

  /** Messages for a host process whose socket is not open yet. */
  private queued: ParentMessage[] = [];

  private sendToChild(msg: ParentMessage): boolean {
    const c = this.child;
    if (!c || c.dead) return false;
    if (!c.socket) {
      this.queued.push(msg);
      return true;
    }
    c.channel.send(msg);
    return !c.socket.destroyed;
  }

  private queueAck(id: string): void {
    this.unacked.push(id);
    this.ackTimer ??= this.opts.clock.setTimer(() => void this.sendAcks(), ACK_DELAY_MS);
  }

  /** Acks events once the agent's own spool has them on disk: only then may the host forget them. */
  private async sendAcks(): Promise<void> {
    this.ackTimer?.();
    this.ackTimer = null;
    const ids = this.unacked;
    this.unacked = [];
    if (ids.length === 0) return;
    await this.opts.flushEvents();
    const c = this.child;
    for (let i = 0; i < ids.length; i += 10_000)
      c?.channel.send({ type: 'ack', ids: ids.slice(i, i + 10_000) } satisfies ParentMessage);
  }

  private requestStart(slot: Slot): Promise<void> {
    const { decky } = slot;
    for (const s of Object.keys(slot.services)) slot.services[s] = 'starting';
    return new Promise<void>((resolve, reject) => {
      const cancelTimeout = this.opts.clock.setTimer(
        () =>
          slot.settle?.(
            new AppError('INTERNAL', `decky ${decky.name} did not report ready within ${READY_TIMEOUT_MS / 1000} s`),
          ),
        READY_TIMEOUT_MS,
      );
      slot.settle = (err) => {
        slot.settle = null;
        cancelTimeout();
        if (!err) return resolve();
        slot.lastError = err.message;
        reject(err);
      };
      if (!this.sendToChild({ type: 'start', decky, dataDir: slot.dataDir, ...slot.network })) {
        slot.settle(new AppError('INTERNAL', `decky ${decky.name}: its host process is not running`));
      }
    });
  }

  private onMessage(raw: unknown): void {
    const parsed = ChildMessage.safeParse(raw);
    if (!parsed.success) return this.opts.log.warn('ignoring a malformed message from a decky host');
    const msg = parsed.data;
    if (msg.type === 'hello') return;
    if (msg.type === 'event') {
      this.opts.onEvent(msg.event);
      return this.queueAck(msg.event.id);
    }
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
    if (!slot) return;
    // A decky that was still starting when the previous agent went away: its answer is news only.
    if (!slot.settle) {
      slot.services = { ...slot.services, ...msg.services };
      return;
    }
    const { decky } = slot;
    slot.services = { ...slot.services, ...msg.services };
    const failed = Object.entries(msg.errors).map(([svc, e]) => `${svc}: ${e ?? 'failed'}`);
    const failedNames = Object.entries(msg.services).filter(([, s]) => s === 'failed');
    if (failed.length || failedNames.length) {
      slot.settle(
        new AppError(
          'INTERNAL',
          `decky ${decky.name} (${decky.ip}) could not start: ${failed.join('; ') || failedNames.map(([n]) => `${n} failed`).join('; ')}`,
        ),
      );
      return;
    }
    slot.lastError = undefined;
    slot.supervised = true;
    slot.backoffMs = BACKOFF_MIN_MS;
    slot.settle();
  }

  private onExit(child: Attached, why: string | undefined): void {
    if (this.child !== child || this.detached) return;
    child.dead = true;
    this.child = null;
    this.queued = [];
    const code = null;
    const signal = 'exited';
    for (const resolve of [...this.stopWaiters.values()].flat()) resolve();
    this.stopWaiters.clear();
    if (this.closing) return;
    const how = why ?? 'decky host exited unexpectedly';
    const toRestart: Slot[] = [];
    for (const slot of [...this.slots.values()]) {
      for (const s of Object.keys(slot.services)) slot.services[s] = 'stopped';
      slot.cancelRetry?.();
      slot.cancelRetry = null;
      // A decky that never became ready was reported to whoever started it (its add() removes it).
      if (!slot.supervised) {
        slot.settle?.(
          new AppError('INTERNAL', `decky ${slot.decky.name}: its host process exited before it was ready`),
        );
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
    this.opts.log.warn('decky host crashed; restarting', {
      code,
      signal,
      pid: child.pid,
      deckies: toRestart.map((s) => s.decky.name),
      inMs: delay,
    });
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
      this.opts.log.error('decky restart failed', {
        decky: slot.decky.name,
        err: (err as Error).message,
        inMs: slot.backoffMs,
      });
      const delay = slot.backoffMs;
      slot.backoffMs = Math.min(slot.backoffMs * 2, BACKOFF_MAX_MS);
      slot.cancelRetry = this.opts.clock.setTimer(() => {
        slot.cancelRetry = null;
        if (this.child && this.slots.get(slot.decky.name) === slot) this.restartSlot(slot);
      }, delay);
    });
  }
}

import { type ChildProcess, spawn } from 'node:child_process';
import type { DeckyRuntimeState } from '../../shared/domain/agent-status';
import type { DeckyConfig } from '../../shared/domain/decky';
import type { Logger } from '../../shared/node/logger';
import { AppError } from '../../shared/errors';
import type { Clock } from '../clock';
import { ChildMessage, type StartMessage } from '../decky-host-protocol';
import type { EventSink } from './types';

const READY_TIMEOUT_MS = 30_000;
const STOP_GRACE_MS = 5_000;
const BACKOFF_MIN_MS = 250;
const BACKOFF_MAX_MS = 30_000;
/** A child that stayed up this long is healthy again: its next crash restarts at the minimum delay. */
const STABLE_MS = 60_000;

export type DeckyProcessOptions = Readonly<{
  decky: DeckyConfig;
  hostScript: string;
  dataDir: string;
  onEvent: EventSink;
  clock: Clock;
  log: Logger;
}>;

/**
 * One decky = one supervised child process hosting its services. The first start is reported to
 * the caller (ready or the bind errors); later crashes are restarted with exponential backoff and
 * counted, never silently ignored.
 */
export class DeckyProcess {
  readonly decky: DeckyConfig;
  private child: ChildProcess | null = null;
  private services: Record<string, DeckyRuntimeState['services'][string]>;
  private restarts = 0;
  private lastError: string | undefined;
  private stopping = false;
  private backoffMs = BACKOFF_MIN_MS;
  private cancelRestart: (() => void) | null = null;
  private readyAt = 0;

  constructor(private readonly opts: DeckyProcessOptions) {
    this.decky = opts.decky;
    this.services = Object.fromEntries(opts.decky.services.map((s) => [s, 'stopped' as const]));
  }

  /** Starts the child and resolves when every service listens; on failure nothing is left running. */
  async start(): Promise<void> {
    this.stopping = false;
    await this.spawnOnce();
  }

  status(): DeckyRuntimeState {
    const running = this.child !== null && Object.values(this.services).every((s) => s === 'running');
    return { running, restarts: this.restarts, services: { ...this.services }, ...(this.lastError ? { error: this.lastError.slice(0, 2000) } : {}) };
  }

  /** Asks the child to stop, then kills it after a grace period; no restart follows. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.cancelRestart?.();
    this.cancelRestart = null;
    const child = this.child;
    if (!child) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    if (child.exitCode === null && child.signalCode === null) {
      if (child.connected) child.send({ type: 'stop' }, () => undefined);
      else child.kill('SIGTERM');
      const cancel = this.opts.clock.setTimer(() => child.kill('SIGKILL'), STOP_GRACE_MS);
      await exited;
      cancel();
    }
    this.setAll('stopped');
  }

  private spawnOnce(): Promise<void> {
    const { decky, log } = this.opts;
    this.setAll('starting');
    const child = spawn(process.execPath, [this.opts.hostScript], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      env: { ...process.env, DECNET_DECKY: decky.name },
    });
    this.child = child;
    return new Promise<void>((resolve, reject) => {
      let settled = false;
      let ready = false;
      const settle = (err?: AppError): void => {
        if (settled) return;
        settled = true;
        cancelTimeout();
        if (err) {
          this.lastError = err.message;
          if (child.exitCode === null) child.kill('SIGKILL');
          reject(err);
        } else {
          ready = true;
          resolve();
        }
      };
      const cancelTimeout = this.opts.clock.setTimer(
        () => settle(new AppError('INTERNAL', `decky ${decky.name} did not report ready within ${READY_TIMEOUT_MS / 1000} s`)),
        READY_TIMEOUT_MS,
      );
      child.on('message', (raw) => {
        const parsed = ChildMessage.safeParse(raw);
        if (!parsed.success) {
          log.warn('ignoring a malformed message from a decky host', { decky: decky.name });
          return;
        }
        const msg = parsed.data;
        if (msg.type === 'event') {
          this.opts.onEvent(msg.event);
          return;
        }
        if (msg.type === 'stopped') return;
        if (msg.type === 'fatal') {
          this.lastError = msg.message;
          settle(new AppError('INTERNAL', `decky ${decky.name} (${decky.ip}) could not start: ${msg.message}`));
          return;
        }
        this.services = { ...this.services, ...msg.services };
        const failed = Object.entries(msg.errors).map(([svc, e]) => `${svc}: ${e ?? 'failed'}`);
        const failedNames = Object.entries(msg.services).filter(([, s]) => s === 'failed');
        if (failed.length || failedNames.length) {
          settle(new AppError('INTERNAL', `decky ${decky.name} (${decky.ip}) could not start: ${failed.join('; ') || failedNames.map(([n]) => `${n} failed`).join('; ')}`));
        } else {
          this.readyAt = Date.now();
          this.lastError = undefined;
          settle();
        }
      });
      child.once('error', (err) => settle(new AppError('INTERNAL', `cannot start the host process of decky ${decky.name}: ${err.message}`)));
      child.once('exit', (code, signal) => {
        if (this.child === child) this.child = null;
        this.setAll('stopped');
        if (!settled) {
          settle(new AppError('INTERNAL', `decky ${decky.name} exited before it was ready (${signal ?? `code ${code}`})`));
          return;
        }
        // A child that never became ready was reported to whoever started it; only a crash of a
        // ready child is this supervisor's to restart.
        if (ready && !this.stopping) this.onCrash(code, signal);
      });
      const start: StartMessage = { type: 'start', decky, dataDir: this.opts.dataDir };
      child.send(start, (err) => {
        if (err) settle(new AppError('INTERNAL', `cannot talk to the host process of decky ${decky.name}: ${err.message}`));
      });
    });
  }

  private onCrash(code: number | null, signal: NodeJS.Signals | null): void {
    const { decky, log } = this.opts;
    if (Date.now() - this.readyAt > STABLE_MS) this.backoffMs = BACKOFF_MIN_MS;
    this.restarts += 1;
    this.lastError = `decky host exited unexpectedly (${signal ?? `code ${code}`}); restart ${this.restarts}`;
    log.warn('decky host crashed; restarting', { decky: decky.name, code, signal, restarts: this.restarts, inMs: this.backoffMs });
    const delay = this.backoffMs;
    this.backoffMs = Math.min(this.backoffMs * 2, BACKOFF_MAX_MS);
    this.cancelRestart = this.opts.clock.setTimer(() => {
      this.cancelRestart = null;
      if (this.stopping) return;
      this.spawnOnce().catch((err: unknown) => {
        log.error('decky restart failed', { decky: decky.name, err: (err as Error).message });
        if (!this.stopping) this.onCrash(null, null);
      });
    }, delay);
  }

  private setAll(state: DeckyRuntimeState['services'][string]): void {
    this.services = Object.fromEntries(Object.keys(this.services).map((s) => [s, state]));
  }
}

/**
 * Entry of a decky host process (native runtime): hosts one or several deckies, each started by
 * decky-host-core exactly as if it were alone. Speaks the protocol in decky-host-protocol.ts over
 * the IPC channel; logs JSON lines on stderr.
 */
import { createLogger, type LogLevel } from '../shared/node/logger';
import { describeZodError } from '../shared/domain/decky';
import type { AttackerEvent } from '../shared/domain/events';
import { fileURLToPath } from 'node:url';
import { startDecky, type RunningDecky } from './decky-host-core';
import { openBinder } from './network/binder-client';
import { setSocketSource } from './services/socket-source';
import { ParentMessage, type ChildMessage, type ReadyMessage, type StartMessage } from './decky-host-protocol';

/** The binder bundle sits next to this one (out/agent/); DECNET_NETNS_BINDER overrides it. */
const binderScript = () => process.env.DECNET_NETNS_BINDER ?? fileURLToPath(new URL('./netns-binder.js', import.meta.url));

/** Events queued on the IPC channel beyond which new ones are dropped (a slow or stuck parent). */
const maxPendingSends = 5_000;

function main(): void {
  const level = (process.env.DECNET_LOG_LEVEL ?? 'info') as LogLevel;
  const log = createLogger({ level, bindings: { component: 'decky-host', pid: process.pid } });
  if (typeof process.send !== 'function') {
    log.critical('decky-host must be spawned with an IPC channel (stdio [..., "ipc"])');
    process.exit(2);
  }

  let pending = 0;
  let dropped = 0;
  const send = (msg: ChildMessage, done?: () => void): void => {
    if (!process.connected || !process.send) return done?.();
    pending += 1;
    process.send(msg, undefined, {}, (err) => {
      pending -= 1;
      if (err) log.debug('ipc send failed', { err });
      done?.();
    });
  };
  const emit = (event: AttackerEvent) => {
    if (pending >= maxPendingSends) {
      dropped += 1;
      if (dropped % 1000 === 1) log.warn('parent is not reading events; dropping', { dropped });
      return;
    }
    send({ type: 'event', event });
  };

  const deckies = new Map<string, RunningDecky>();
  // Operations on one decky run in order (a replace is stop-then-start, a stop waits for a start
  // still binding its ports); different deckies proceed independently.
  const queues = new Map<string, Promise<void>>();
  const enqueue = (name: string, op: () => Promise<void>): Promise<void> => {
    const next = (queues.get(name) ?? Promise.resolve()).then(op).catch((err: unknown) => log.error('decky operation failed', { decky: name, err }));
    queues.set(name, next);
    void next.then(() => {
      if (queues.get(name) === next) queues.delete(name);
    });
    return next;
  };
  let received = false;
  let exiting = false;

  const stopDecky = async (name: string): Promise<void> => {
    const running = deckies.get(name);
    deckies.delete(name);
    await running?.stop();
  };

  const start = (msg: StartMessage): Promise<void> =>
    enqueue(msg.decky.name, async () => {
      await stopDecky(msg.decky.name);
      if (exiting) return;
      const deckyLog = log.child({ decky: msg.decky.name, ip: msg.decky.ip });
      let ready: ReadyMessage;
      // In its own namespace, the decky's sockets are bound there by a short-lived binder.
      const binder = msg.netns ? openBinder(msg.netns, binderScript()) : undefined;
      if (binder) setSocketSource(msg.decky.ip, binder);
      try {
        const running = await startDecky(msg, { log: deckyLog, emit }).finally(() => {
          if (!binder) return;
          setSocketSource(msg.decky.ip, undefined);
          binder.close();
        });
        deckies.set(msg.decky.name, running);
        ready = running.ready;
        deckyLog.info('decky ready', { services: ready.services, errors: ready.errors });
      } catch (err) {
        // Only this decky is unusable (e.g. its data dir): report its services failed, keep the rest.
        const message = (err instanceof Error ? err.message : String(err)).split('\n')[0] ?? 'failed';
        deckyLog.error('decky failed to start', { error: message });
        ready = { type: 'ready', name: msg.decky.name, services: {}, errors: {} };
        for (const s of msg.decky.services) {
          ready.services[s] = 'failed';
          ready.errors[s] = message;
        }
      }
      if (exiting) return stopDecky(msg.decky.name);
      send(ready);
    });

  const shutdown = async (code: number, tell: boolean) => {
    if (exiting) return;
    exiting = true;
    const names = new Set([...deckies.keys(), ...queues.keys()]);
    await Promise.all([...names].map((name) => enqueue(name, () => stopDecky(name))));
    if (tell) for (const name of names) send({ type: 'stopped', name });
    if (tell) send({ type: 'stopped' }, () => process.exit(code));
    else process.exit(code);
  };

  process.on('message', (raw: unknown) => {
    const parsed = ParentMessage.safeParse(raw);
    if (!parsed.success) {
      log.error('bad message from parent', { error: describeZodError(parsed.error) });
      // A first message that makes no sense means parent and child disagree on the protocol.
      if (!received) send({ type: 'fatal', message: `bad start message: ${describeZodError(parsed.error)}` }, () => process.exit(1));
      return;
    }
    received = true;
    const msg = parsed.data;
    if (msg.type === 'start') return void start(msg);
    if (msg.name === undefined) return void shutdown(0, true);
    const name = msg.name;
    void enqueue(name, async () => {
      await stopDecky(name);
      send({ type: 'stopped', name });
    });
  });

  // The parent is gone: nobody would receive events, and a supervisor will start us again.
  process.on('disconnect', () => void shutdown(0, false));
  process.on('SIGTERM', () => void shutdown(0, true));
  process.on('SIGINT', () => void shutdown(0, true));
  // Last line of defence: one connection's bug must not take every decky of this process down.
  process.on('uncaughtException', (err) => log.error('uncaught exception (kept running)', { err, stack: err.stack }));
  process.on('unhandledRejection', (reason) => log.error('unhandled rejection (kept running)', { err: reason }));
}

main();

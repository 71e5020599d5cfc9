/**
 * Entry of ONE decky's host process (native runtime). Speaks the protocol in
 * decky-host-protocol.ts over the IPC channel; logs JSON lines on stderr.
 */
import { createLogger, type LogLevel } from '../shared/node/logger';
import { describeZodError } from '../shared/domain/decky';
import type { AttackerEvent } from '../shared/domain/events';
import { startDecky, type RunningDecky } from './decky-host-core';
import { ParentMessage, type ChildMessage } from './decky-host-protocol';

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

  let decky: RunningDecky | null = null;
  let starting = false;
  let exiting = false;
  const shutdown = async (code: number, tell: boolean) => {
    if (exiting) return;
    exiting = true;
    await decky?.stop();
    if (tell) send({ type: 'stopped' }, () => process.exit(code));
    else process.exit(code);
  };

  process.on('message', (raw: unknown) => {
    const parsed = ParentMessage.safeParse(raw);
    if (!parsed.success) {
      log.error('bad message from parent', { error: describeZodError(parsed.error) });
      if (!decky && !starting) send({ type: 'fatal', message: `bad start message: ${describeZodError(parsed.error)}` }, () => process.exit(1));
      return;
    }
    const msg = parsed.data;
    if (msg.type === 'stop') return void shutdown(0, true);
    if (decky || starting) return log.warn('ignoring a second start message');
    starting = true;
    const deckyLog = log.child({ decky: msg.decky.name, ip: msg.decky.ip });
    startDecky(msg, { log: deckyLog, emit })
      .then((running) => {
        decky = running;
        deckyLog.info('decky ready', { services: running.ready.services, errors: running.ready.errors });
        if (exiting) return void running.stop();
        send(running.ready);
      })
      .catch((err: unknown) => {
        const message = err instanceof Error ? err.message : String(err);
        deckyLog.error('decky failed to start', { error: message });
        send({ type: 'fatal', message }, () => process.exit(1));
      });
  });

  // The parent is gone: nobody would receive events, and a supervisor will start us again.
  process.on('disconnect', () => void shutdown(0, false));
  process.on('SIGTERM', () => void shutdown(0, true));
  process.on('SIGINT', () => void shutdown(0, true));
  // Last line of defence: one connection's bug must not take every service of the decky down.
  process.on('uncaughtException', (err) => log.error('uncaught exception (kept running)', { err, stack: err.stack }));
  process.on('unhandledRejection', (reason) => log.error('unhandled rejection (kept running)', { err: reason }));
}

main();

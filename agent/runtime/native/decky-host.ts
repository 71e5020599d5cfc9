/**
 * Entry of a decky host process (native runtime): hosts one or several deckies, each started by
 * decky-host-core exactly as if it were alone. Runs in its own session, outliving the agent that
 * spawned it: it speaks the protocol of decky-host-protocol.ts as JSON lines on its control socket
 * `<hosts>/<id>.sock` (one agent at a time; a new connection replaces the old), keeps a registry
 * entry next to it for the next agent, and spools events until an agent acks them. Logs JSON lines
 * on stderr (a file the agent opened for it). The docker runtime runs the same entry as a service
 * container's process: DECNET_HOST_START names the start message it boots from on its own (a
 * container the engine restarts has no agent to ask), and its spool outlives a container stop.
 */
import { chmod, mkdir, readFile, unlink } from 'node:fs/promises';
import { createServer, type Socket } from 'node:net';
import { createLogger, type Logger, type LogLevel } from '../../../shared/node/logger';
import { describeZodError } from '../../../shared/errors';
import type { AttackerEvent } from '../../../shared/domain/events';
import { fileURLToPath } from 'node:url';
import { hostFiles, type LineChannel, lineChannel, removeHostFiles, writeRegistry } from './decky-host-channel';
import { startDecky, type RunningDecky } from './decky-host-core';
import { openBinder } from '../../network/binder-client';
import { setSocketSource } from '../../services/kit/socket-source';
import { ParentMessage, StartMessage, type ChildMessage, type ReadyMessage } from './decky-host-protocol';
import { openHostSpool } from './decky-host-spool';

/** The binder bundle sits next to this one (out/agent/); DECNET_NETNS_BINDER overrides it. */
const binderScript = () =>
  process.env.DECNET_NETNS_BINDER ?? fileURLToPath(new URL('./netns-binder.js', import.meta.url));

async function main(): Promise<void> {
  const level = (process.env.DECNET_LOG_LEVEL ?? 'info') as LogLevel;
  const log = createLogger({ level, bindings: { component: 'decky-host', pid: process.pid } });
  const id = process.env.DECNET_HOST_ID ?? '';
  const hostsDir = process.env.DECNET_HOSTS_DIR ?? '';
  if (!/^[0-9a-f]{16}$/.test(id) || !hostsDir) {
    log.critical('decky-host needs DECNET_HOST_ID (16 hex digits) and DECNET_HOSTS_DIR');
    process.exit(2);
  }
  const files = hostFiles(hostsDir, id);
  /** Docker runtime: the container boots its decky from this start message, without waiting for an agent. */
  const bootFile = process.env.DECNET_HOST_START;
  const startedAt = new Date().toISOString();
  await mkdir(hostsDir, { recursive: true, mode: 0o700 });

  let channel: LineChannel | null = null;
  let conn: Socket | null = null;
  /** Events sent on the current connection and not acked yet: a new connection sends them again. */
  let sent = new Set<string>();
  const send = (msg: ChildMessage): void => void channel?.send(msg);
  const pump = (): void => {
    if (!channel) return;
    // Events go out in spool order and acks remove only sent ones, so the unsent are its tail: find
    // where that starts rather than look up all 20,000 an unacked spool can hold on every flush.
    const all = spool.list();
    let from = all.length;
    while (from > 0 && !sent.has(all[from - 1]!.id)) from--;
    for (const e of all.slice(from)) {
      if (!channel.writable()) return;
      sent.add(e.id);
      channel.send({ type: 'event', event: e } satisfies ChildMessage);
    }
  };
  const spool = await openHostSpool({ path: files.spool, log, onStored: pump });
  const emit = (event: AttackerEvent) => void spool.add(event);
  const starts = new Map<string, StartMessage>();
  const readies = new Map<string, ReadyMessage>();
  const register = () =>
    writeRegistry(hostsDir, {
      id,
      pid: process.pid,
      socket: files.socket,
      startedAt,
      deckies: [...starts.keys()],
    }).catch((err: unknown) => log.error('cannot write the host registry entry', { err: (err as Error).message }));

  const deckies = new Map<string, RunningDecky>();
  // Operations on one decky run in order (a replace is stop-then-start, a stop waits for a start
  // still binding its ports); different deckies proceed independently.
  const queues = new Map<string, Promise<void>>();
  const enqueue = (name: string, op: () => Promise<void>): Promise<void> => {
    const next = (queues.get(name) ?? Promise.resolve())
      .then(op)
      .catch((err: unknown) => log.error('decky operation failed', { decky: name, err }));
    queues.set(name, next);
    void next.then(() => {
      if (queues.get(name) === next) queues.delete(name);
    });
    return next;
  };
  let exiting = false;

  const stopDecky = async (name: string): Promise<void> => {
    const running = deckies.get(name);
    deckies.delete(name);
    await running?.stop();
  };

  const start = (msg: StartMessage): Promise<void> =>
    enqueue(msg.decky.name, async () => {
      await stopDecky(msg.decky.name);
      starts.set(msg.decky.name, msg);
      readies.delete(msg.decky.name);
      await register();
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
      readies.set(msg.decky.name, ready);
      send(ready);
    });

  const forget = async (name: string): Promise<void> => {
    await stopDecky(name);
    starts.delete(name);
    readies.delete(name);
    await register();
  };

  const shutdown = async (code: number) => {
    if (exiting) return;
    exiting = true;
    const names = new Set([...deckies.keys(), ...queues.keys()]);
    await Promise.all([...names].map((name) => enqueue(name, () => stopDecky(name))));
    for (const name of names) send({ type: 'stopped', name });
    // Stopped for good (teardown, decommission): nothing is left for a later agent to find. A
    // container's stop may be a restart instead (engine or host reboot): its spool stays for the
    // agent, which salvages it after removing the container.
    await spool.flush();
    server.close();
    if (!bootFile) await removeHostFiles(hostsDir, id);
    if (!conn) process.exit(code);
    conn.end(JSON.stringify({ type: 'stopped' } satisfies ChildMessage) + '\n', () => process.exit(code));
    setTimeout(() => process.exit(code), 1000).unref();
  };

  const onMessage = (raw: unknown) => {
    const parsed = ParentMessage.safeParse(raw);
    if (!parsed.success) {
      log.error('bad message from the agent', { error: describeZodError(parsed.error) });
      send({ type: 'fatal', message: `bad control message: ${describeZodError(parsed.error)}` });
      return;
    }
    const msg = parsed.data;
    if (msg.type === 'ack') {
      // Forgotten as sent only once gone from the spool: a pump in between must not send them again.
      const ids = msg.ids;
      return void spool.ack(ids).then(() => {
        for (const i of ids) sent.delete(i);
        pump();
      });
    }
    if (msg.type === 'start') return void start(msg);
    if (msg.name === undefined) return void shutdown(0);
    const name = msg.name;
    void enqueue(name, async () => {
      await forget(name);
      send({ type: 'stopped', name });
    });
  };

  // One agent at a time: a new connection is the restarted agent, the old one is dead or stale.
  const server = createServer((socket) => {
    conn?.destroy();
    conn = socket;
    sent = new Set();
    const ch = lineChannel(socket, {
      message: onMessage,
      bad: (why) => log.warn('dropping the agent connection', { why }),
    });
    channel = ch;
    socket.on('drain', pump);
    socket.once('close', () => {
      if (conn !== socket) return;
      conn = null;
      channel = null;
      // The agent went away (stop, crash, restart): keep serving, spool events for the next one.
      log.info('agent detached; deckies keep running', { deckies: starts.size });
    });
    const hello: ChildMessage = {
      type: 'hello',
      id,
      pid: process.pid,
      startedAt,
      deckies: [...starts.values()].map((st) => ({ start: st, ready: readies.get(st.decky.name) ?? null })),
    };
    ch.send(hello);
    pump();
  });
  server.maxConnections = 4;
  await unlink(files.socket).catch(() => undefined);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(files.socket, () => resolve());
  });
  await chmod(files.socket, 0o600);
  await register();
  if (bootFile) await bootFromFile(bootFile, start, log);

  process.on('SIGTERM', () => void shutdown(0));
  process.on('SIGINT', () => void shutdown(0));
  // A closed stdout/stderr (the agent's log file gone) must not kill the deckies.
  process.on('SIGPIPE', () => undefined);
  // Last line of defence: one connection's bug must not take every decky of this process down.
  process.on('uncaughtException', (err) => log.error('uncaught exception (kept running)', { err, stack: err.stack }));
  process.on('unhandledRejection', (reason) => log.error('unhandled rejection (kept running)', { err: reason }));
}

/** Starts the decky of a start-message file (docker runtime); a bad file is fatal, as a bad message is. */
async function bootFromFile(path: string, start: (msg: StartMessage) => Promise<void>, log: Logger): Promise<void> {
  const raw = await readFile(path, 'utf8');
  const parsed = StartMessage.safeParse(JSON.parse(raw));
  if (!parsed.success) {
    log.critical('bad start file', { path, error: describeZodError(parsed.error) });
    process.exit(2);
  }
  await start(parsed.data);
}

main().catch((err: unknown) => {
  process.stderr.write(`decky-host: ${(err as Error).message}\n`);
  process.exit(1);
});

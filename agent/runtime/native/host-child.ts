// The OS side of one decky host process: starting it detached (its own session and log, so it
// outlives the agent), the hello handshake that proves a control socket belongs to the process a
// registry entry names, and signalling or waiting for a pid. HostProcess (host-process.ts) supervises.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, mkdirSync, openSync } from 'node:fs';
import type { Socket } from 'node:net';
import type { Logger } from '../../../shared/node/logger';
import { headlessNodeSpawner, type NodeSpawner } from '../../../shared/node/node-spawner';
import {
  connectControl,
  hostFiles,
  type HostRegistryEntry,
  isAlive,
  type LineChannel,
  lineChannel,
} from './decky-host-channel';
import { HelloMessage } from './decky-host-protocol';

export const DEATH_POLL_MS = 50;

/** Starts a host process in its own session; `pid` is undefined when the spawn itself failed. */
export function spawnDetachedHost(
  opts: Readonly<{ hostScript: string; hostsDir: string; spawnNode?: NodeSpawner | undefined }>,
  log: Logger,
): { id: string; pid: number | undefined; socketPath: string } {
  const id = randomBytes(8).toString('hex');
  const files = hostFiles(opts.hostsDir, id);
  let fd: number | undefined;
  let pid: number | undefined;
  try {
    mkdirSync(opts.hostsDir, { recursive: true, mode: 0o700 });
    // Its own log file and session: nothing of the agent (pipes, process group) ties it to us.
    fd = openSync(files.log, 'a', 0o600);
    const spec = (opts.spawnNode ?? headlessNodeSpawner())(opts.hostScript, [], {
      ...process.env,
      DECNET_HOST_ID: id,
      DECNET_HOSTS_DIR: opts.hostsDir,
    });
    const proc = spawn(spec.command, spec.args, { detached: true, stdio: ['ignore', fd, fd], env: spec.env });
    proc.unref();
    pid = proc.pid;
    proc.once('error', (err) => log.error('cannot start a decky host process', { err: err.message }));
  } catch (err) {
    log.error('cannot start a decky host process', { err: (err as Error).message });
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
  return { id, pid, socketPath: files.socket };
}

/** An adopted host's control connection after its hello; `route` says where later messages go. */
export type HelloHandshake = {
  socket: Socket;
  channel: LineChannel;
  hello: HelloMessage;
  /** Messages that arrived after the hello but before `route` was called, in order. */
  early: unknown[];
  route: (onMessage: (raw: unknown) => void) => void;
};

/**
 * Connects to a registry entry's control socket and waits for its hello, which must name the same
 * id and pid (a reused pid does not); anything else closes the socket and rejects.
 */
export async function awaitHello(entry: HostRegistryEntry, timeoutMs: number): Promise<HelloHandshake> {
  const socket = await connectControl(entry.socket, timeoutMs);
  let deliver: (raw: unknown) => void = () => undefined;
  const early: unknown[] = [];
  let channel: LineChannel | undefined;
  const hello = await new Promise<HelloMessage>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no hello on ${entry.socket} within ${timeoutMs} ms`)), timeoutMs);
    deliver = (raw) => {
      const first = HelloMessage.safeParse(raw);
      if (!first.success) return void early.push(raw);
      clearTimeout(timer);
      deliver = (r) => void early.push(r);
      resolve(first.data);
    };
    socket.once('close', () => reject(new Error(`${entry.socket} closed before its hello`)));
    channel = lineChannel(socket, { message: (raw) => deliver(raw), bad: (why) => reject(new Error(why)) });
  }).catch((err: unknown) => {
    socket.destroy();
    throw err;
  });
  if (hello.id !== entry.id || hello.pid !== entry.pid) {
    socket.destroy();
    throw new Error(`${entry.socket} answered as host ${hello.id} pid ${hello.pid}, not ${entry.id} pid ${entry.pid}`);
  }
  return { socket, channel: channel!, hello, early, route: (fn) => void (deliver = fn) };
}

export function kill(pid: number, signal: NodeJS.Signals): void {
  try {
    if (pid > 0) process.kill(pid, signal);
  } catch {
    // already gone
  }
}

export async function waitDeath(pid: number): Promise<void> {
  while (pid > 0 && isAlive(pid)) await new Promise((r) => setTimeout(r, DEATH_POLL_MS));
}

import { existsSync, readFileSync } from 'node:fs';
import { readdir, readFile, unlink } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { z } from 'zod';
import { writeFileAtomic } from '../../../shared/node/atomic-file';

/** Longest control line either side accepts (a start message with a large persona stays far below). */
export const MAX_LINE_BYTES = 4 * 1024 * 1024;
/** Output buffered on a control socket beyond which the sender pauses (events wait in the spool). */
export const MAX_BUFFERED_BYTES = 8 * 1024 * 1024;

export type LineChannel = Readonly<{
  /** Writes one JSON line; false when the socket is gone or its output is over MAX_BUFFERED_BYTES. */
  send: (msg: object) => boolean;
  writable: () => boolean;
  close: () => void;
}>;

/**
 * Newline-delimited JSON over a stream socket, bounded: a line over MAX_LINE_BYTES or a line that
 * is not JSON ends the connection (the peer disagrees on the protocol), after `onBad` is told why.
 */
export function lineChannel(
  socket: Socket,
  on: { message: (raw: unknown) => void; bad: (why: string) => void },
): LineChannel {
  let buf = '';
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => {
    buf += chunk;
    for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      if (!line.trim()) continue;
      let raw: unknown;
      try {
        raw = JSON.parse(line);
      } catch {
        on.bad('a control line is not JSON');
        socket.destroy();
        return;
      }
      on.message(raw);
      if (socket.destroyed) return;
    }
    if (buf.length > MAX_LINE_BYTES) {
      on.bad(`a control line is longer than ${MAX_LINE_BYTES} bytes`);
      socket.destroy();
    }
  });
  socket.on('error', () => undefined);
  const writable = () => !socket.destroyed && socket.writable && socket.writableLength < MAX_BUFFERED_BYTES;
  return {
    send: (msg) => {
      if (socket.destroyed || !socket.writable) return false;
      socket.write(JSON.stringify(msg) + '\n');
      return writable();
    },
    writable,
    close: () => socket.end(),
  };
}

/** Connects to a control socket; rejects after `timeoutMs` or on refusal. */
export function connectControl(path: string, timeoutMs: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(path);
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer on ${path} within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      resolve(socket);
    });
    socket.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

/**
 * The registry entry a host process keeps next to its socket, `<hosts>/<id>.json`: what a restarted
 * agent (or the reaper, which greps the pid) needs to find it again.
 */
export const HostRegistryEntry = z.strictObject({
  id: z.string().regex(/^[0-9a-f]{16}$/),
  pid: z.number().int().positive(),
  socket: z.string().min(1),
  startedAt: z.string(),
  deckies: z.array(z.string()).max(10_000),
});
export type HostRegistryEntry = z.output<typeof HostRegistryEntry>;

export const hostFiles = (hostsDir: string, id: string) => ({
  registry: join(hostsDir, `${id}.json`),
  socket: join(hostsDir, `${id}.sock`),
  spool: join(hostsDir, `${id}.events.jsonl`),
  log: join(hostsDir, `${id}.log`),
});

export const writeRegistry = (hostsDir: string, entry: HostRegistryEntry): Promise<void> =>
  writeFileAtomic(hostFiles(hostsDir, entry.id).registry, JSON.stringify(entry) + '\n', 0o600);

/** Every parsable registry entry; unreadable ones are returned as `bad` (file name, reason). */
export async function readRegistry(
  hostsDir: string,
): Promise<{ entries: HostRegistryEntry[]; bad: Array<{ file: string; why: string }> }> {
  const names = await readdir(hostsDir).catch(() => [] as string[]);
  const entries: HostRegistryEntry[] = [];
  const bad: Array<{ file: string; why: string }> = [];
  for (const name of names.filter((n) => /^[0-9a-f]{16}\.json$/.test(n)).sort()) {
    const file = join(hostsDir, name);
    try {
      const parsed = HostRegistryEntry.safeParse(JSON.parse(await readFile(file, 'utf8')));
      if (parsed.success && `${parsed.data.id}.json` === name) entries.push(parsed.data);
      else bad.push({ file, why: 'not a host registry entry' });
    } catch (err) {
      bad.push({ file, why: (err as Error).message });
    }
  }
  return { entries, bad };
}

/** Removes what a host process left behind (registry, socket, spool, log); missing files are fine. */
export async function removeHostFiles(hostsDir: string, id: string, keep: { spool?: boolean } = {}): Promise<void> {
  const f = hostFiles(hostsDir, id);
  const paths = [f.registry, f.socket, f.log, ...(keep.spool ? [] : [f.spool])];
  await Promise.all(paths.map((p) => unlink(p).catch(() => undefined)));
}

/** True while `pid` runs and is not a zombie (kill -0 succeeds on a zombie nobody has reaped yet). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  const stat = `/proc/${pid}/stat`;
  if (!existsSync(stat)) return true;
  try {
    const text = readFileSync(stat, 'utf8');
    return text.slice(text.lastIndexOf(')') + 2, text.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

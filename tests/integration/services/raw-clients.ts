import dgram from 'node:dgram';
import net from 'node:net';
import { execFile } from 'node:child_process';

/** Sends one datagram and resolves with the first reply (or null after `timeoutMs`). */
export function udpExchange(host: string, port: number, msg: Uint8Array, timeoutMs = 2_000): Promise<Buffer | null> {
  return new Promise((resolve) => {
    const sock = dgram.createSocket('udp4');
    const timer = setTimeout(() => {
      sock.close();
      resolve(null);
    }, timeoutMs);
    sock.once('message', (reply) => {
      clearTimeout(timer);
      sock.close();
      resolve(reply);
    });
    sock.send(msg, port, host);
  });
}

/** Fire-and-forget datagrams from one socket (fuzzing). */
export async function udpBlast(host: string, port: number, msgs: readonly Uint8Array[]): Promise<void> {
  const sock = dgram.createSocket('udp4');
  for (const m of msgs) await new Promise<void>((r) => sock.send(m, port, host, () => r()));
  sock.close();
}

export type TcpConversation = Readonly<{
  send: (data: Uint8Array | string) => void;
  /** Resolves with everything received once `until` accepts it (or rejects on timeout/close). */
  read: (until: (all: Buffer) => boolean, timeoutMs?: number) => Promise<Buffer>;
  received: () => Buffer;
  closed: Promise<void>;
  end: () => void;
}>;

export async function tcpConnect(host: string, port: number): Promise<TcpConversation> {
  const sock = net.connect({ host, port });
  await new Promise<void>((resolve, reject) => {
    sock.once('connect', resolve);
    sock.once('error', reject);
  });
  let buf = Buffer.alloc(0);
  const waiters = new Set<() => void>();
  sock.on('data', (d: Buffer) => {
    buf = Buffer.concat([buf, d]);
    for (const w of waiters) w();
  });
  sock.on('error', () => undefined);
  const closed = new Promise<void>((r) => sock.once('close', () => r()));
  void closed.then(() => {
    for (const w of waiters) w();
  });
  let isClosed = false;
  void closed.then(() => (isClosed = true));
  const read = (until: (all: Buffer) => boolean, timeoutMs = 5_000) =>
    new Promise<Buffer>((resolve, reject) => {
      const check = () => {
        if (until(buf)) {
          waiters.delete(check);
          clearTimeout(timer);
          resolve(buf);
        } else if (isClosed) {
          waiters.delete(check);
          clearTimeout(timer);
          reject(new Error(`connection closed after ${buf.length} bytes`));
        }
      };
      const timer = setTimeout(() => {
        waiters.delete(check);
        reject(new Error(`timed out with ${buf.length} bytes: ${buf.subarray(0, 64).toString('hex')}`));
      }, timeoutMs);
      waiters.add(check);
      check();
    });
  return {
    send: (data) => void sock.write(data),
    read,
    received: () => buf,
    closed,
    end: () => sock.destroy(),
  };
}

/** Runs a real client binary; resolves with its exit code and output (never rejects on non-zero). */
export function run(
  cmd: string,
  args: readonly string[],
  timeoutMs = 30_000,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { timeout: timeoutMs }, (err, stdout, stderr) => {
      const code = err
        ? typeof (err as NodeJS.ErrnoException & { code?: unknown }).code === 'number'
          ? (err as unknown as { code: number }).code
          : 1
        : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

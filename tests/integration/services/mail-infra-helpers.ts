import { execFile } from 'node:child_process';
import net from 'node:net';

export type RunResult = Readonly<{ code: number; stdout: string; stderr: string }>;

/** Runs a real client binary; resolves with its exit code instead of throwing. */
export function run(cmd: string, args: readonly string[], timeoutMs = 30_000): Promise<RunResult> {
  return new Promise((resolve) => {
    execFile(cmd, [...args], { timeout: timeoutMs, maxBuffer: 4 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

/** A raw TCP client for dialogues no packaged client drives (literals, pipelining). */
export async function connectRaw(
  host: string,
  port: number,
): Promise<{
  socket: net.Socket;
  received: () => string;
  waitFor: (re: RegExp, timeoutMs?: number) => Promise<string>;
  close: () => void;
}> {
  const socket = net.connect({ host, port });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  let text = '';
  socket.on('data', (d: Buffer) => (text += d.toString('latin1')));
  socket.on('error', () => undefined);
  const waitFor = async (re: RegExp, timeoutMs = 10_000) => {
    const deadline = Date.now() + timeoutMs;
    while (!re.test(text)) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${re} in ${JSON.stringify(text.slice(-500))}`);
      await new Promise((r) => setTimeout(r, 10));
    }
    return text;
  };
  return { socket, received: () => text, waitFor, close: () => socket.destroy() };
}

// One real decky host process (out/agent/decky-host.js) for a benchmark, spoken to over its
// control socket as the agent does (agent/runtime/native/decky-host-channel.ts): start one decky,
// wait for its `ready`, read its pid, kill it. The host runs in its own session, so `stop()` must
// be called (the benches call it in `finally`).
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { connectControl, hostFiles } from '../../agent/runtime/native/decky-host-channel';
import type { ReadyMessage, StartMessageInput } from '../../agent/runtime/native/decky-host-protocol';

export type BenchHost = Readonly<{ pid: number; ready: ReadyMessage; stop: () => void }>;

export async function startBenchHost(
  hostsDir: string,
  start: Omit<StartMessageInput, 'type'>,
  timeoutMs = 60_000,
): Promise<BenchHost> {
  const id = randomBytes(8).toString('hex');
  // BENCH_HOST_PROF=<dir>: a CPU profile of each host, written as it exits (SIGTERM, not SIGKILL).
  const prof = process.env.BENCH_HOST_PROF;
  const child = spawn(
    process.execPath,
    [...(prof ? ['--cpu-prof', '--cpu-prof-dir', prof] : []), join(process.cwd(), 'out/agent/decky-host.js')],
    {
      stdio: 'ignore',
      env: { ...process.env, DECNET_LOG_LEVEL: 'critical', DECNET_HOST_ID: id, DECNET_HOSTS_DIR: hostsDir },
    },
  );
  const stop = () => void child.kill(prof ? 'SIGTERM' : 'SIGKILL');
  try {
    const deadline = Date.now() + timeoutMs;
    let socket;
    for (;;) {
      try {
        socket = await connectControl(hostFiles(hostsDir, id).socket, 1000);
        break;
      } catch (err) {
        if (Date.now() > deadline || child.exitCode !== null) throw err;
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    const ready = await new Promise<ReadyMessage>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`${start.decky.name}: no ready within ${timeoutMs / 1000} s`)),
        timeoutMs,
      );
      let buf = '';
      socket.setEncoding('utf8');
      socket.on('data', (chunk: string) => {
        buf += chunk;
        for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
          const msg = JSON.parse(buf.slice(0, nl)) as { type: string; name?: string };
          buf = buf.slice(nl + 1);
          if (msg.type === 'ready' && msg.name === start.decky.name) {
            clearTimeout(timer);
            resolve(msg as ReadyMessage);
          }
        }
      });
      socket.on('error', reject);
      socket.write(`${JSON.stringify({ type: 'start', ...start })}\n`);
    });
    return { pid: child.pid!, ready, stop };
  } catch (err) {
    stop();
    throw err;
  }
}

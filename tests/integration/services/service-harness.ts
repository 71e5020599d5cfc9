import { spawn } from 'node:child_process';
import net from 'node:net';
import { DeckyConfig, type DeckyConfigInput } from '../../../shared/domain/decky';
import { silentLogger } from '../../../shared/node/logger';
import { personaFor } from '../../../agent/services/kit/persona';
import type { CapturedInteraction, RunningService, ServiceModule } from '../../../agent/services/kit/types';
import { makeTmpDir } from '../../helpers/tmp-dir';

export type ServiceHarness = Readonly<{
  captures: CapturedInteraction[];
  running: RunningService;
  dataDir: string;
  decky: DeckyConfig;
  stop: () => Promise<void>;
  /** Captures of one kind (newest last). */
  ofKind: (kind: string) => CapturedInteraction[];
}>;

/** Starts one service module in-process, bound to `ip` on its real catalogue ports. */
export async function startService(
  module: ServiceModule,
  decky: Partial<DeckyConfigInput> & { ip: string },
  opts: { dataDir?: string } = {},
): Promise<ServiceHarness> {
  const config = DeckyConfig.parse({ name: 'test-decky', distro: 'debian', services: [module.name], ...decky });
  const tmp = opts.dataDir ? null : await makeTmpDir('decnet-svc-');
  const dataDir = opts.dataDir ?? tmp!.dir;
  const captures: CapturedInteraction[] = [];
  const running = await module.start({
    decky: config,
    service: module.name,
    host: config.ip,
    port: (p) => p,
    persona: personaFor(config, module.name),
    dataDir,
    capture: (i) => captures.push(i),
    log: silentLogger,
  });
  return {
    captures,
    running,
    dataDir,
    decky: config,
    ofKind: (kind) => captures.filter((c) => c.kind === kind),
    stop: async () => {
      await running.close();
      await tmp?.remove();
    },
  };
}

export type RunResult = Readonly<{ code: number | null; stdout: string; stderr: string }>;

/** Runs a real client program to completion (killed after `timeoutMs`). */
export function run(
  cmd: string,
  args: string[],
  opts: { env?: NodeJS.ProcessEnv; input?: string; timeoutMs?: number } = {},
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env: { ...process.env, ...opts.env }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 20_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(opts.input ?? '');
  });
}

export type RawConnection = Readonly<{
  socket: net.Socket;
  received: () => Buffer;
  text: () => string;
  closed: () => boolean;
  send: (data: string | Buffer) => void;
}>;

/** A raw TCP client that accumulates everything it receives. */
export async function connectRaw(host: string, port: number): Promise<RawConnection> {
  const socket = net.connect({ host, port });
  const chunks: Buffer[] = [];
  let closed = false;
  socket.on('data', (d: Buffer) => chunks.push(d));
  socket.on('close', () => (closed = true));
  socket.on('error', () => undefined);
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  return {
    socket,
    received: () => Buffer.concat(chunks),
    text: () => Buffer.concat(chunks).toString('latin1'),
    closed: () => closed,
    send: (data) => void socket.write(data),
  };
}

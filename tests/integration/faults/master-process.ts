import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import { eventually } from '../../helpers/eventually';

const run = promisify(execFile);
export const MASTER_CLI = new URL('../../../out/main/cli.js', import.meta.url).pathname;

export type MasterProcess = {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
  /** Resolves once the line matching `re` was printed; returns its match. */
  waitFor(re: RegExp, timeoutMs?: number): Promise<RegExpExecArray>;
  kill(signal?: NodeJS.Signals): Promise<number | null>;
};

/** `decnet-master serve` as a real process on 127.0.0.1 (console API on an ephemeral port). */
export function spawnMaster(o: {
  dataDir: string;
  swarmPort: number;
  agentPort: number;
  localAgent?: boolean;
  env?: Record<string, string>;
}): MasterProcess {
  const args = [MASTER_CLI, 'serve', '--data', o.dataDir, '--api-port', '0', '--swarm-port', String(o.swarmPort)];
  if (o.localAgent === false) args.push('--no-local-agent');
  const child = spawn(process.execPath, args, {
    env: {
      ...process.env,
      DECNET_SWARM_HOST: '127.0.0.1',
      DECNET_API_HOST: '127.0.0.1',
      DECNET_HEARTBEAT_INTERVAL_S: '1',
      DECNET_ADMIN_PASSWORD: 'fault-test-password',
      DECNET_AGENT_PORT: String(o.agentPort),
      DECNET_LOG_LEVEL: 'warn',
      ...o.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr.on('data', (b: Buffer) => (out += b.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    output: () => out,
    exited,
    waitFor: (re, timeoutMs = 20_000) =>
      eventually(
        () => {
          if (child.exitCode !== null) throw new Error(`decnet-master exited ${child.exitCode}: ${out}`);
          return re.exec(out) ?? undefined;
        },
        { timeoutMs, what: `decnet-master printed ${re}` },
      ),
    kill: async (signal = 'SIGTERM') => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

/** `decnet-master <args>` to completion. */
export async function masterCli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [MASTER_CLI, ...args], {
      env: { ...process.env, DECNET_LOG_LEVEL: 'warn' },
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : 1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

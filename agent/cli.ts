import { hostname } from 'node:os';
import { parseArgs } from 'node:util';
import { networkDrivers, type NetworkDriver } from '../shared/domain/decky';
import { createLogger, type LogLevel } from '../shared/node/logger';
import { nodeSpawnerForProcess } from '../shared/node/node-spawner';
import { AppError, toAppError } from '../shared/errors';
import { AGENT_DEFAULT_PORT } from '../shared/protocol/agent-api';
import { type AgentConfig, createAgent } from './agent';
import { systemClock } from './clock';
import { createMasterClient } from './master-client';
import { createNativeRuntime } from './runtime/native';
import { runtimeNames, type RuntimeName } from './runtime/types';
import { AGENT_VERSION } from './version';

const USAGE = `usage:
  decnet-agent --version
  decnet-agent enroll --master URL --token T [--dir DIR] [--name N] [--address A]...
  decnet-agent enroll --bundle FILE [--dir DIR]
  decnet-agent run [--dir DIR] [--state-dir DIR] [--listen HOST:PORT] [--runtime native|docker] [--network loopback|macvlan|ipvlan]
  decnet-agent doctor [--dir DIR] [--state-dir DIR] [--listen HOST:PORT]`;

const DEFAULT_IDENTITY_DIR = '/etc/decnet/agent';
const DEFAULT_STATE_DIR = '/var/lib/decnet';

const runOptions = {
  dir: { type: 'string' },
  'state-dir': { type: 'string' },
  listen: { type: 'string' },
  runtime: { type: 'string' },
  network: { type: 'string' },
} as const;

/** Entry point; every failure ends as one clear line on stderr and exit code 1, never a stack trace. */
async function main(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const [cmd, ...rest] = argv;
  if (cmd === '--version' || cmd === '-v' || cmd === 'version') {
    process.stdout.write(`decnet-agent ${AGENT_VERSION}\n`);
    return 0;
  }
  if (cmd === 'run') return run(rest, env);
  if (cmd === 'enroll') return enroll(rest, env);
  if (cmd === 'doctor') return doctor(rest, env);
  process.stderr.write(`${cmd && cmd !== '--help' && cmd !== 'help' ? `decnet-agent: unknown command "${cmd}"\n` : ''}${USAGE}\n`);
  return cmd === '--help' || cmd === 'help' ? 0 : 1;
}

async function run(args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const { values } = parseArgs({ args, options: { ...runOptions }, strict: true });
  const runtime = oneOf<RuntimeName>('--runtime', values.runtime ?? env['DECNET_AGENT_RUNTIME'] ?? 'native', runtimeNames);
  const network = oneOf<NetworkDriver>('--network', values.network ?? env['DECNET_AGENT_NETWORK'] ?? 'loopback', networkDrivers);
  if (runtime === 'docker') throw new AppError('INVALID_INPUT', 'the docker runtime is not available yet; run with --runtime native');
  const interval = Number(env['DECNET_HEARTBEAT_INTERVAL_S'] ?? 30);
  if (!Number.isFinite(interval) || interval <= 0) throw new AppError('INVALID_INPUT', `DECNET_HEARTBEAT_INTERVAL_S must be a positive number of seconds (got "${env['DECNET_HEARTBEAT_INTERVAL_S']}")`);
  const config: AgentConfig = {
    identityDir: values.dir ?? env['DECNET_AGENT_DIR'] ?? DEFAULT_IDENTITY_DIR,
    stateDir: values['state-dir'] ?? env['DECNET_STATE_DIR'] ?? DEFAULT_STATE_DIR,
    listen: parseListen(values.listen ?? env['DECNET_AGENT_LISTEN'] ?? `0.0.0.0:${AGENT_DEFAULT_PORT}`),
    runtime,
    network,
    heartbeatIntervalS: interval,
    installRoot: env['DECNET_INSTALL_ROOT'] || '/',
  };
  const perProcess = deckiesPerProcess(env['DECNET_DECKIES_PER_PROCESS']);
  const log = createLogger({ level: logLevel(env['DECNET_LOG_LEVEL']), bindings: { app: 'decnet-agent' } });
  const agent = createAgent(config, {
    // DECNET_DECKY_HOST swaps the decky host bundle (packaging layouts, tests with a stub host);
    // DECNET_DECKIES_PER_PROCESS trades isolation (1) for memory (default 16 per host process).
    runtime: (ctx) =>
      createNativeRuntime(ctx, {
        ...(env['DECNET_DECKY_HOST'] ? { hostScript: env['DECNET_DECKY_HOST'] } : {}),
        ...(perProcess === undefined ? {} : { deckiesPerProcess: perProcess }),
        spawnNode: nodeSpawnerForProcess(),
      }),
    clock: systemClock,
    log,
    masterClient: (identity) => createMasterClient(identity, identity.masterUrl),
  });
  const address = await agent.start();
  process.stdout.write(`decnet-agent ${AGENT_VERSION} listening on https://${address.host}:${address.port}\n`);
  const outcome = await new Promise<'signal' | 'self-destruct'>((resolve) => {
    process.once('SIGINT', () => resolve('signal'));
    process.once('SIGTERM', () => resolve('signal'));
    void agent.selfDestructed.then(() => resolve('self-destruct'));
  });
  await agent.stop();
  if (outcome === 'self-destruct') log.warn('agent exiting after self-destruct; the reaper finishes the wipe');
  return 0;
}

async function enroll(args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      master: { type: 'string' },
      token: { type: 'string' },
      bundle: { type: 'string' },
      dir: { type: 'string' },
      name: { type: 'string' },
      address: { type: 'string', multiple: true },
    },
    strict: true,
  });
  const dir = values.dir ?? env['DECNET_AGENT_DIR'] ?? DEFAULT_IDENTITY_DIR;
  // Loaded on demand: the X.509 stack costs most of the CLI's start-up and only enroll needs it.
  const { enrollWithBundle, enrollWithToken } = await import('./enroll');
  if (values.bundle) {
    const id = await enrollWithBundle({ bundle: values.bundle, dir });
    process.stdout.write(`enrolled from bundle as ${id.name} (host ${id.hostUuid}); identity in ${dir}\n`);
    return 0;
  }
  if (!values.master || !values.token) throw new AppError('INVALID_INPUT', 'enroll needs --master URL and --token T, or --bundle FILE');
  const id = await enrollWithToken({ master: values.master, token: values.token, dir, name: values.name ?? hostname(), addresses: values.address ?? [] });
  process.stdout.write(`enrolled as ${id.name} (host ${id.hostUuid}); identity in ${dir}\n`);
  return 0;
}

/** Read-only checks of what `run` needs (agent/doctor.ts); exit 1 when a fatal check fails. */
async function doctor(args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const { values } = parseArgs({ args, options: { ...runOptions }, strict: true });
  const { formatDoctor, runDoctor } = await import('./doctor');
  const checks = await runDoctor({
    identityDir: values.dir ?? env['DECNET_AGENT_DIR'] ?? DEFAULT_IDENTITY_DIR,
    stateDir: values['state-dir'] ?? env['DECNET_STATE_DIR'] ?? DEFAULT_STATE_DIR,
    listen: parseListen(values.listen ?? env['DECNET_AGENT_LISTEN'] ?? `0.0.0.0:${AGENT_DEFAULT_PORT}`),
    runtime: values.runtime ?? 'native',
    network: values.network ?? 'loopback',
  });
  process.stdout.write(formatDoctor(checks) + '\n');
  return checks.some((c) => c.fatal && !c.ok) ? 1 : 0;
}

function parseListen(value: string): { host: string; port: number } {
  const m = /^(.+):(\d{1,5})$/.exec(value);
  const port = Number(m?.[2]);
  if (!m || port < 0 || port > 65535) throw new AppError('INVALID_INPUT', `--listen must be HOST:PORT (got "${value}")`);
  return { host: m[1]!.replace(/^\[|\]$/g, ''), port };
}

function oneOf<T extends string>(flag: string, value: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(value)) throw new AppError('INVALID_INPUT', `${flag} must be one of ${allowed.join(', ')} (got "${value}")`);
  return value as T;
}

function deckiesPerProcess(v: string | undefined): number | undefined {
  if (v === undefined || v === '') return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new AppError('INVALID_INPUT', `DECNET_DECKIES_PER_PROCESS must be a whole number of at least 1 (got "${v}")`);
  return n;
}

function logLevel(v: string | undefined): LogLevel {
  return v === 'debug' || v === 'warn' || v === 'error' || v === 'critical' ? v : 'info';
}

main(process.argv.slice(2), process.env).then(
  (code) => process.exit(code),
  (err: unknown) => {
    const e = toAppError(err);
    const message = (err as { code?: string }).code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS') ? (err as Error).message : e.message;
    process.stderr.write(`decnet-agent: ${message}\n`);
    process.exit(1);
  },
);

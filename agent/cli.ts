import { hostname } from 'node:os';
import { parseArgs } from 'node:util';
import { createLogger } from '../shared/node/logger';
import { nodeSpawnerForProcess } from '../shared/node/node-spawner';
import { AppError, toAppError } from '../shared/errors';
import { type AgentConfig, createAgent } from './agent';
import { systemClock } from './clock';
import { agentOptions, loadAgentConfig, optionsHelp } from './config';
import { createMasterClient } from './master-client';
import { createNativeRuntime } from './runtime/native/native-runtime';
import { createDockerRuntime } from './runtime/docker/docker-runtime';
import { AGENT_VERSION } from './version';

const USAGE = `usage: decnet-agent <command> [options]

commands:
  run       run the agent (API, heartbeats, deckies)
  enroll    enroll this host with a master (token or offline bundle)
  doctor    read-only checks of what run needs
  image     build the docker runtime's decky image on this worker (\`image build\`)
  version   print the version
  updater   run the updater daemon (decnet-updater.service): signed releases from the master
  updater-launcher  run the updater from its own release, restarting it on update-self (the unit's)

Run \`decnet-agent <command> --help\` for its options. Exit codes: 0 ok, 1 failed, 2 bad usage.`;

const runHelp = (cmd: 'run' | 'doctor') => `usage: decnet-agent ${cmd} [options]

${cmd === 'run' ? 'Runs the agent.' : 'Checks identity, state dir, listen address, runtime and network; changes nothing.'}

options (each overrides the environment variable shown):
${optionsHelp()}
  -h, --help                        this help
${
  cmd === 'run'
    ? `
environment only: DECNET_HEARTBEAT_INTERVAL_S (30), DECNET_DECKIES_PER_PROCESS (16),
DECNET_MAX_HOST_PROCESSES (8), DECNET_LOG_LEVEL (info), DECNET_INSTALL_ROOT (/)
`
    : ''
}`;

const enrollHelp = `usage: decnet-agent enroll --master URL --token T [--dir DIR] [--name N] [--address A]...
       decnet-agent enroll --bundle FILE [--dir DIR]

  --master URL     the master's swarm listener, https://HOST:8770
  --token T        single-use join token from the console (DECNET1-…)
  --bundle FILE    offline enrollment bundle instead of a token
  --dir DIR        identity directory (default /etc/decnet/agent; env DECNET_AGENT_DIR)
  --name N         host name (default: this machine's host name)
  --address A      address the master dials (repeatable)
  -h, --help       this help
`;

const runOptions = Object.fromEntries(agentOptions.map((o) => [o.flag, { type: 'string' as const }]));

const DEFAULT_IDENTITY_DIR = '/etc/decnet/agent';

class UsageError extends Error {}
const wantsHelp = (args: readonly string[]) => args.includes('-h') || args.includes('--help');

/** Entry point; every failure ends as one clear line on stderr and exit code 1, never a stack trace. */
async function main(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const [cmd, ...rest] = argv;
  if (cmd === '--version' || cmd === '-v' || cmd === 'version') {
    process.stdout.write(`decnet-agent ${AGENT_VERSION}\n`);
    return 0;
  }
  if (cmd === undefined || cmd === '--help' || cmd === '-h' || cmd === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return cmd === undefined ? 2 : 0;
  }
  if ((cmd === 'run' || cmd === 'doctor') && wantsHelp(rest)) return (process.stdout.write(runHelp(cmd)), 0);
  if (cmd === 'enroll' && wantsHelp(rest)) return (process.stdout.write(enrollHelp), 0);
  if (cmd === 'run') return run(rest, env);
  if (cmd === 'enroll') return enroll(rest, env);
  if (cmd === 'doctor') return doctor(rest, env);
  if (cmd === 'updater') {
    // Loaded on demand, like enroll: run and doctor never need the updater's code.
    const { runUpdater, updaterHelp } = await import('./updater/run');
    return wantsHelp(rest) ? (process.stdout.write(updaterHelp), 0) : runUpdater(rest, env);
  }
  if (cmd === 'updater-launcher') {
    const { runUpdaterLauncher, launcherHelp } = await import('./updater/launcher');
    return wantsHelp(rest) ? (process.stdout.write(launcherHelp), 0) : runUpdaterLauncher(rest, env);
  }
  if (cmd === 'image') return image(rest, env);
  throw new UsageError(`unknown command "${cmd}" (run decnet-agent --help)`);
}

/** Flags and environment through agent/config.ts, before anything is created or bound. */
function parseRunConfig(args: string[], env: NodeJS.ProcessEnv) {
  const { values } = parseArgs({ args, options: runOptions, strict: true });
  const parsed = loadAgentConfig(values, env);
  if ('error' in parsed) throw new UsageError(parsed.error);
  return parsed.config;
}

async function run(args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const c = parseRunConfig(args, env);
  const config: AgentConfig = {
    identityDir: c.DECNET_AGENT_DIR,
    stateDir: c.DECNET_STATE_DIR,
    listen: c.DECNET_AGENT_LISTEN,
    runtime: c.DECNET_AGENT_RUNTIME,
    network: c.DECNET_AGENT_NETWORK,
    heartbeatIntervalS: c.DECNET_HEARTBEAT_INTERVAL_S,
    installRoot: c.DECNET_INSTALL_ROOT || '/',
    ...(c.DECNET_AGENT_PARENT ? { parentInterface: c.DECNET_AGENT_PARENT } : {}),
    ...(c.DECNET_AGENT_DECKY_RANGE ? { deckyRange: c.DECNET_AGENT_DECKY_RANGE } : {}),
  };
  const perProcess = env['DECNET_DECKIES_PER_PROCESS'] ? c.DECNET_DECKIES_PER_PROCESS : undefined;
  const maxProcesses = env['DECNET_MAX_HOST_PROCESSES'] ? c.DECNET_MAX_HOST_PROCESSES : undefined;
  const log = createLogger({ level: c.DECNET_LOG_LEVEL, bindings: { app: 'decnet-agent' } });
  const agent = createAgent(config, {
    // DECNET_DECKY_HOST swaps the decky host bundle (packaging layouts, tests with a stub host);
    // DECNET_DECKIES_PER_PROCESS trades isolation (1) for memory (default 16 per host process), and
    // DECNET_MAX_HOST_PROCESSES bounds the processes (default 8) before deckies are packed further.
    runtime: (ctx) =>
      c.DECNET_AGENT_RUNTIME === 'docker'
        ? createDockerRuntime(ctx, { logLevel: c.DECNET_LOG_LEVEL })
        : createNativeRuntime(ctx, {
            ...(env['DECNET_DECKY_HOST'] ? { hostScript: env['DECNET_DECKY_HOST'] } : {}),
            ...(perProcess === undefined ? {} : { deckiesPerProcess: perProcess }),
            ...(maxProcesses === undefined ? {} : { maxHostProcesses: maxProcesses }),
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
  if (!values.master || !values.token)
    throw new AppError('INVALID_INPUT', 'enroll needs --master URL and --token T, or --bundle FILE');
  const id = await enrollWithToken({
    master: values.master,
    token: values.token,
    dir,
    name: values.name ?? hostname(),
    addresses: values.address ?? [],
  });
  process.stdout.write(`enrolled as ${id.name} (host ${id.hostUuid}); identity in ${dir}\n`);
  return 0;
}

/** Read-only checks of what `run` needs (agent/doctor.ts); exit 1 when a fatal check fails. */
async function doctor(args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const c = parseRunConfig(args, env);
  const { formatDoctor, runDoctor } = await import('./doctor');
  const checks = await runDoctor({
    identityDir: c.DECNET_AGENT_DIR,
    stateDir: c.DECNET_STATE_DIR,
    listen: c.DECNET_AGENT_LISTEN,
    runtime: c.DECNET_AGENT_RUNTIME,
    network: c.DECNET_AGENT_NETWORK,
    ...(c.DECNET_AGENT_PARENT ? { parent: c.DECNET_AGENT_PARENT } : {}),
  });
  process.stdout.write(formatDoctor(checks) + '\n');
  return checks.some((c) => c.fatal && !c.ok) ? 1 : 0;
}

/** `image build`: the docker runtime's image from this install (no registry); also built on first deploy. */
async function image(args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  if (args[0] !== 'build' || args.length > 1 || wantsHelp(args)) {
    if (wantsHelp(args)) return (process.stdout.write(imageHelp), 0);
    throw new UsageError('usage: decnet-agent image build');
  }
  const { createDockerCli } = await import('./runtime/docker/docker-cli');
  const { buildDeckyImage, defaultImageSource } = await import('./runtime/docker/decky-image');
  const tag = await buildDeckyImage(createDockerCli({ env }), defaultImageSource(env), (text) =>
    process.stdout.write(`${text}\n`),
  );
  process.stdout.write(`decky image ready: ${tag}\n`);
  return 0;
}

const imageHelp = `usage: decnet-agent image build

Builds the image the docker runtime's containers run (decnet-decky:<version>-<hash>) from this
install: FROM scratch with this worker's node binary and its libraries, or on the image
DECNET_DOCKER_BASE_IMAGE names. Nothing is pulled. A present image is kept as it is.
`;

main(process.argv.slice(2), process.env).then(
  (code) => process.exit(code),
  (err: unknown) => {
    const code = (err as { code?: string }).code;
    const usage = err instanceof UsageError || (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS'));
    process.stderr.write(`decnet-agent: ${usage ? (err as Error).message : toAppError(err).message}\n`);
    process.exit(usage ? 2 : 1);
  },
);

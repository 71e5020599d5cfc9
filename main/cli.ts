import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { toAppError } from '../shared/errors';
import { createLogger } from '../shared/node/logger';
import { loadConfig } from './core/config';
import { createMaster } from './core/master';
import { checkStore, restoreStore, type StoreCheck } from './core/store/store-file';
import { MASTER_VERSION } from './core/version';

const USAGE = `usage:
  decnet-master serve [--data DIR] [--no-local-agent] [--api-port N] [--swarm-port N]
  decnet-master store check|restore [--data DIR]
  decnet-master --version`;

// Bundled to out/main/cli.js: the agent build and the renderer live beside it in out/.
const outDir = join(dirname(fileURLToPath(import.meta.url)), '..');

async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  if (cmd === '--version' || cmd === 'version') {
    process.stdout.write(`decnet-master ${MASTER_VERSION}\n`);
    return 0;
  }
  if (cmd === 'store') return storeCommand(rest);
  if (cmd !== 'serve') {
    process.stderr.write(`${cmd && cmd !== '--help' && cmd !== 'help' ? `decnet-master: unknown command "${cmd}"\n` : ''}${USAGE}\n`);
    return cmd === '--help' || cmd === 'help' ? 0 : 1;
  }
  const { values } = parseArgs({
    args: rest,
    options: {
      data: { type: 'string' },
      'no-local-agent': { type: 'boolean' },
      'api-port': { type: 'string' },
      'swarm-port': { type: 'string' },
    },
    strict: true,
  });
  const config = loadConfig(process.env, {
    ...(values.data ? { dataDir: values.data } : {}),
    ...(values['no-local-agent'] ? { localAgent: false } : {}),
    ...(values['api-port'] ? { apiPort: Number(values['api-port']) } : {}),
    ...(values['swarm-port'] ? { swarmPort: Number(values['swarm-port']) } : {}),
  });
  const log = createLogger({ level: config.logLevel });
  const master = await createMaster(
    { ...config, consoleApi: true, agentCliPath: join(outDir, 'agent', 'cli.js'), staticDir: join(outDir, 'renderer'), agentPackageDir: join(outDir, '..', 'dist') },
    { log },
  );
  const started = await master.start();
  if (started.api) {
    const where = started.api.passwordSource === 'env' ? 'from DECNET_ADMIN_PASSWORD' : `in ${started.api.passwordPath ?? '?'}`;
    process.stdout.write(`console API: ${started.api.url} (user admin, password ${where})\n`);
  }
  process.stdout.write(`swarm listener: https://${started.swarm.host}:${started.swarm.port} (workers enroll against ${started.swarm.url})\n`);
  if (started.localAgent) process.stdout.write(`local agent: host ${started.localAgent.hostUuid ?? '?'} (pid ${started.localAgent.pid ?? '?'})\n`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
  // DECNET_LOCAL_DECKIES_ON_QUIT=keep leaves the local agent's deckies serving after a stop (a
  // crash of this process always does; the next serve re-attaches to them).
  const onQuit = process.env['DECNET_LOCAL_DECKIES_ON_QUIT'] ?? 'stop';
  if (onQuit !== 'keep' && onQuit !== 'stop') process.stderr.write(`decnet-master: DECNET_LOCAL_DECKIES_ON_QUIT must be keep or stop (got "${onQuit}"); stopping them\n`);
  await master.stop({ stopLocalDeckies: onQuit !== 'keep' });
  return 0;
}

/** `store check` validates master.json and its last good copy; `store restore` puts the copy back (master stopped). */
async function storeCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args, options: { data: { type: 'string' } }, allowPositionals: true, strict: true });
  const sub = positionals[0];
  if (sub !== 'check' && sub !== 'restore') {
    process.stderr.write(`decnet-master store: expected check or restore\n${USAGE}\n`);
    return 1;
  }
  const dataDir = loadConfig(process.env, values.data ? { dataDir: values.data } : {}).dataDir;
  const line = (c: StoreCheck) =>
    `${c.path}: ${c.ok ? `ok (${c.message}, ${c.hosts} hosts, ${c.deckies} deckies, ${c.lifecycle} lifecycle rows)` : `UNUSABLE: ${c.message}`}\n`;
  if (sub === 'check') {
    const { store, backup } = await checkStore(dataDir);
    process.stdout.write(line(store) + line(backup));
    return store.ok ? 0 : 2;
  }
  const { restored, keptAs } = await restoreStore(dataDir);
  process.stdout.write(`restored ${restored.path} from its last good copy${keptAs ? ` (the refused file is kept as ${keptAs})` : ''}\n${line(restored)}`);
  return restored.ok ? 0 : 2;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`decnet-master: ${toAppError(err).message}\n`);
    process.exit(1);
  },
);

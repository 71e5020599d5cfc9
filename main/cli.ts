import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { toAppError } from '../shared/errors';
import { createLogger } from '../shared/node/logger';
import { loadConfig } from './core/config';
import { acquireDataDirLock, createMaster } from './core/master';
import { MASTER_VERSION } from './core/version';

const USAGE = `usage:
  decnet-master serve [--data DIR] [--no-local-agent] [--api-port N] [--swarm-port N]
  decnet-master --version`;

// Bundled to out/main/cli.js: the agent build and the renderer live beside it in out/.
const outDir = join(dirname(fileURLToPath(import.meta.url)), '..');

async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  if (cmd === '--version' || cmd === 'version') {
    process.stdout.write(`decnet-master ${MASTER_VERSION}\n`);
    return 0;
  }
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
  // Before master.json or the CA is opened: a second master on this dir refuses with the owner's pid.
  const lock = acquireDataDirLock(config.dataDir);
  process.once('exit', () => lock.release());
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
  await master.stop();
  lock.release();
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`decnet-master: ${toAppError(err).message}\n`);
    process.exit(1);
  },
);

import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { toAppError } from '../shared/errors';
import { ipcCommands } from '../shared/ipc/contract';
import { createLogger } from '../shared/node/logger';
import { findSubcommand, groups, remoteSubcommands, summaries, type RemoteSubcommand } from './cli/command-table';
import {
  callConsole,
  DEFAULT_CONSOLE_URL,
  login,
  logout,
  resolveConnection,
  tokenFilePath,
} from './cli/console-client';
import { buildInput, UsageError, validateInput } from './cli/flags';
import { formatHuman } from './cli/format';
import { tailCommand, tailHelp } from './cli/events-tail';
import { serveEnv, serveHelp, serveOptions } from './cli/serve-options';
import { loadConfig } from './core/config';
import { checkStore, restoreStore, type StoreCheck } from './core/store/store-file';
import { MASTER_VERSION } from './core/version';

const storeHelp = `usage: decnet-master store check|restore [--data DIR]

  check     validate master.json and its last good copy (master.json.bak); exit 2 if the store is unusable
  restore   put the last good copy back (the master must be stopped; the refused file is kept beside it)
  --data DIR  data directory (default ~/.local/share/decnet; env DECNET_DATA_DIR)
  -h, --help  this help`;

// Bundled to out/main/cli.js: the agent build and the renderer live beside it in out/.
const outDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = (s: string) => void process.stdout.write(s.endsWith('\n') ? s : `${s}\n`);

/** Exit codes: 0 ok, 1 the operation failed, 2 bad usage (nothing was done). */
const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

const remoteFlagsHelp = `connection (every remote command):
  --console URL     console API (default ${DEFAULT_CONSOLE_URL}; env DECNET_CONSOLE_URL; or the URL saved by login)
  --token T         session token (env DECNET_CONSOLE_TOKEN; default: the token file login writes)
  --json            print the contract's JSON answer instead of a table
  -h, --help        help for the command`;

/**
 * Commands that run in this process; everything else is a contract command sent to a running
 * console. A local command is one entry here (`store` for the store tools goes beside `serve`).
 */
const localCommands: Record<string, { summary: string; help: string; run: (args: string[]) => Promise<number> }> = {
  serve: { summary: 'run the master headless (console API, swarm listener, local agent)', help: serveHelp, run: serve },
  login: {
    summary: 'log in to a console and save the session token (0600)',
    help: `usage: decnet-master login [--console URL] [--password-file FILE]

Logs in as admin and writes the session token to ${tokenFilePath({ ...process.env })}
(env DECNET_CONSOLE_TOKEN_FILE overrides the path), mode 0600.
  --console URL         console API (default ${DEFAULT_CONSOLE_URL}; env DECNET_CONSOLE_URL)
  --password-file FILE  read the admin password from FILE (default: env DECNET_CONSOLE_PASSWORD, else stdin)
  -h, --help            this help`,
    run: loginCmd,
  },
  logout: {
    summary: 'revoke the saved session token on the console and delete it',
    help: `usage: decnet-master logout [--console URL] [--token T]

Revokes the session (its event streams end too) and deletes the token file login wrote.`,
    run: logoutCmd,
  },
  store: {
    summary: 'check the store, or restore its last good copy (master stopped)',
    help: storeHelp,
    run: storeCommand,
  },
};

/** `events tail` is the one console command that is not a single contract call (it follows events.list). */
const followCommands: Record<string, { summary: string; help: string; run: (args: string[]) => Promise<number> }> = {
  'events tail': {
    summary: 'follow new attacker events as they arrive',
    help: tailHelp(remoteFlagsHelp),
    run: (args) => tailCommand(args, out),
  },
};

function mainHelp(): string {
  const width = 34;
  const local = Object.entries(localCommands).map(([n, c]) => `  ${n.padEnd(width)}${c.summary}`);
  const remote = [
    ...remoteSubcommands.map((s) => `  ${`${s.group} ${s.verb}`.padEnd(width)}${summaries[s.command] ?? s.command}`),
    ...Object.entries(followCommands).map(([n, c]) => `  ${n.padEnd(width)}${c.summary}`),
  ];
  return `usage: decnet-master <command> [options]

commands:
${local.join('\n')}
  version                           print the version

console commands (talk to a running console over its HTTP API):
${remote.join('\n')}

${remoteFlagsHelp}

Run \`decnet-master <command> --help\` for a command's options. Exit codes: 0 ok, 1 failed, 2 bad usage.`;
}

function groupHelp(group: string): string {
  const subs = remoteSubcommands
    .filter((s) => s.group === group)
    .map((s) => [s.verb, summaries[s.command] ?? s.command] as const);
  for (const [n, c] of Object.entries(followCommands))
    if (n.startsWith(`${group} `)) subs.push([n.slice(group.length + 1), c.summary]);
  return `usage: decnet-master ${group} <${subs.map(([v]) => v).join('|')}> [options]\n\n${subs
    .map(([v, summary]) => `  ${v.padEnd(22)}${summary}`)
    .join('\n')}\n\n${remoteFlagsHelp}`;
}

function subHelp(s: RemoteSubcommand): string {
  const pos = s.positional ? ` [${s.positional.flag.toUpperCase()}]` : '';
  const flags = s.flags.map((f) => {
    const left = `  --${f.flag}${f.hint ? ` ${f.hint}` : ''}`;
    const notes = [f.required ? 'required' : 'optional', f === s.positional ? 'or positional' : '']
      .filter(Boolean)
      .join(', ');
    return `${left.padEnd(40)}${notes}`;
  });
  return `usage: decnet-master ${s.group} ${s.verb}${pos} [options]

${summaries[s.command] ?? ''} (contract command ${s.command})
${flags.length ? `\noptions:\n${flags.join('\n')}\n  --input JSON|@FILE                      the whole input as JSON (flags override its fields)\n` : ''}
${remoteFlagsHelp}`;
}

const wantsHelp = (args: readonly string[]) => args.includes('-h') || args.includes('--help');

async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  if (cmd === '--version' || cmd === 'version' || cmd === '-v') {
    out(`decnet-master ${MASTER_VERSION}`);
    return EXIT.ok;
  }
  if (cmd === undefined || cmd === '-h' || cmd === '--help' || cmd === 'help') {
    out(mainHelp());
    return cmd === undefined ? EXIT.usage : EXIT.ok;
  }
  const local = localCommands[cmd];
  if (local) {
    if (wantsHelp(rest)) return (out(local.help), EXIT.ok);
    return local.run(rest);
  }
  if (!groups.includes(cmd)) throw new UsageError(`unknown command "${cmd}" (run decnet-master --help)`);
  const verb = rest[0] && !rest[0].startsWith('-') ? rest[0] : undefined;
  const follow = followCommands[`${cmd} ${verb ?? ''}`];
  if (follow) {
    const args = rest.slice(1);
    if (wantsHelp(args)) return (out(follow.help), EXIT.ok);
    return follow.run(args);
  }
  const sub = findSubcommand(cmd, verb);
  if (!sub) {
    if (verb === undefined && wantsHelp(rest)) return (out(groupHelp(cmd)), EXIT.ok);
    if (verb === undefined)
      throw new UsageError(
        `${cmd} needs a subcommand: ${remoteSubcommands
          .filter((s) => s.group === cmd)
          .map((s) => s.verb)
          .join(', ')}`,
      );
    throw new UsageError(`unknown subcommand "${cmd} ${verb}" (run decnet-master ${cmd} --help)`);
  }
  const args = verb === undefined ? rest : rest.slice(1);
  if (wantsHelp(args)) return (out(subHelp(sub)), EXIT.ok);
  return remote(sub, args);
}

async function remote(sub: RemoteSubcommand, args: string[]): Promise<number> {
  const options: ParseArgsConfig['options'] = {
    console: { type: 'string' },
    token: { type: 'string' },
    json: { type: 'boolean' },
    input: { type: 'string' },
  };
  for (const f of sub.flags) options[f.flag] = { type: f.kind === 'boolean' ? 'boolean' : 'string' };
  const { values, positionals } = parseArgs({ args, options, strict: true, allowPositionals: true });
  if (positionals.length > (sub.positional ? 1 : 0))
    throw new UsageError(`unexpected argument "${positionals.at(-1) ?? ''}"`);
  const v = values as Record<string, string | boolean | undefined>;
  if (sub.positional && positionals[0] !== undefined) {
    if (v[sub.positional.flag] !== undefined)
      throw new UsageError(`give ${sub.positional.flag} once, as --${sub.positional.flag} or as the argument`);
    v[sub.positional.flag] = positionals[0];
  }
  let base: unknown = {};
  if (typeof v['input'] === 'string') {
    const text = v['input'].startsWith('@') ? await readFile(v['input'].slice(1), 'utf8') : v['input'];
    try {
      base = JSON.parse(text) as unknown;
    } catch {
      throw new UsageError('--input must be JSON (or @FILE holding JSON)');
    }
    if (!base || typeof base !== 'object' || Array.isArray(base)) throw new UsageError('--input must be a JSON object');
  }
  const input = validateInput(ipcCommands[sub.command].input, { ...(base as object), ...buildInput(sub.flags, v) });
  const conn = await resolveConnection(
    { console: v['console'] as string | undefined, token: v['token'] as string | undefined },
    process.env,
  );
  if (!conn.token)
    throw new UsageError(
      `no session token for ${conn.url}: run decnet-master login, or pass --token / DECNET_CONSOLE_TOKEN`,
    );
  const result = await callConsole(conn, sub.command, input);
  if (!result.ok) {
    process.stderr.write(`decnet-master: ${sub.group} ${sub.verb}: ${result.error.message} (${result.error.code})\n`);
    // The input passed the contract here already: a refusal by the console is a failed operation.
    return EXIT.failed;
  }
  out(v['json'] ? JSON.stringify(result.value, null, 2) : formatHuman(result.value));
  return EXIT.ok;
}

async function loginCmd(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { console: { type: 'string' }, 'password-file': { type: 'string' } },
    strict: true,
  });
  const url = (values.console ?? process.env['DECNET_CONSOLE_URL'] ?? DEFAULT_CONSOLE_URL).replace(/\/+$/, '');
  let password = process.env['DECNET_CONSOLE_PASSWORD'];
  if (values['password-file']) password = (await readFile(values['password-file'], 'utf8')).trim();
  if (password === undefined) password = (await readStdin(4096)).trim();
  if (!password)
    throw new UsageError('login needs the admin password: --password-file FILE, DECNET_CONSOLE_PASSWORD, or on stdin');
  const saved = await login(url, password, process.env);
  out(`logged in to ${url}; token saved in ${saved.path} (expires ${saved.expiresAt})`);
  return EXIT.ok;
}

async function logoutCmd(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { console: { type: 'string' }, token: { type: 'string' } },
    strict: true,
  });
  const conn = await resolveConnection(values, process.env);
  if (!conn.token) throw new UsageError(`no session token for ${conn.url}: nothing to log out`);
  const r = await logout(conn, process.env);
  out(
    `${r.revoked ? 'logged out of' : 'the session was already gone on'} ${conn.url}${r.removed ? `; removed ${r.removed}` : ''}`,
  );
  return EXIT.ok;
}

async function readStdin(limit: number): Promise<string> {
  if (process.stdin.isTTY) process.stderr.write('admin password: ');
  let text = '';
  for await (const chunk of process.stdin) {
    text += String(chunk);
    if (text.length > limit || text.includes('\n')) break;
  }
  return text.slice(0, limit);
}

async function serve(args: string[]): Promise<number> {
  const options = Object.fromEntries(
    serveOptions.map((o) => [o.flag, { type: o.value ? ('string' as const) : ('boolean' as const) }]),
  );
  const { values } = parseArgs({ args, options, strict: true });
  // Everything is validated before the CA, the store or any listener exists.
  const parsed = serveEnv(values, process.env);
  if ('error' in parsed) throw new UsageError(parsed.error);
  // Loaded on demand: the master (X.509, store, listeners) is most of the start-up cost, and
  // help or a console subcommand needs none of it.
  const { acquireDataDirLock, createMaster } = await import('./core/master');
  const config = loadConfig(parsed.env);
  const log = createLogger({ level: config.logLevel });
  // Before master.json or the CA is opened: a second master on this dir refuses with the owner's pid.
  const lock = acquireDataDirLock(config.dataDir);
  process.once('exit', () => lock.release());
  const master = await createMaster(
    {
      ...config,
      consoleApi: true,
      agentCliPath: join(outDir, 'agent', 'cli.js'),
      staticDir: join(outDir, 'renderer'),
      agentPackageDir: join(outDir, '..', 'dist'),
    },
    { log },
  );
  const started = await master.start();
  if (started.api) {
    const where =
      started.api.passwordSource === 'env' ? 'from DECNET_ADMIN_PASSWORD' : `in ${started.api.passwordPath ?? '?'}`;
    out(`console API: ${started.api.url} (user admin, password ${where})`);
  }
  out(
    `swarm listener: https://${started.swarm.host}:${started.swarm.port} (workers enroll against ${started.swarm.url})`,
  );
  if (started.localAgent)
    out(`local agent: host ${started.localAgent.hostUuid ?? '?'} (pid ${started.localAgent.pid ?? '?'})`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
  // DECNET_LOCAL_DECKIES_ON_QUIT=keep leaves the local agent's deckies serving after a stop (a
  // crash of this process always does; the next serve re-attaches to them). Unset, the console's
  // remembered choice applies; "ask" cannot be asked here, so it stops them.
  const remembered = (await master.handlers['settings.get']({})).localDeckiesOnQuit;
  const onQuit = process.env['DECNET_LOCAL_DECKIES_ON_QUIT'] ?? (remembered === 'keep' ? 'keep' : 'stop');
  if (onQuit !== 'keep' && onQuit !== 'stop')
    process.stderr.write(
      `decnet-master: DECNET_LOCAL_DECKIES_ON_QUIT must be keep or stop (got "${onQuit}"); stopping them\n`,
    );
  await master.stop({ stopLocalDeckies: onQuit !== 'keep' });
  lock.release();
  return EXIT.ok;
}

/** `store check` validates master.json and its last good copy; `store restore` puts the copy back (master stopped). */
async function storeCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: { data: { type: 'string' } },
    allowPositionals: true,
    strict: true,
  });
  const sub = positionals[0];
  if (sub !== 'check' && sub !== 'restore') {
    throw new UsageError(`store needs check or restore (run decnet-master store --help)`);
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
  process.stdout.write(
    `restored ${restored.path} from its last good copy${keptAs ? ` (the refused file is kept as ${keptAs})` : ''}\n${line(restored)}`,
  );
  return restored.ok ? 0 : 2;
}

/**
 * Exits once stdout and stderr have drained: a pipe takes writes asynchronously, and exiting at
 * once cut a large `--json` answer (an agent package, a bundle) short for the reading script.
 */
function exitAfterFlush(code: number): void {
  process.stdout.write('', () => process.stderr.write('', () => process.exit(code)));
}

main(process.argv.slice(2)).then(
  (code) => exitAfterFlush(code),
  (err: unknown) => {
    const code = (err as { code?: string }).code;
    const usage = err instanceof UsageError || (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS'));
    process.stderr.write(`decnet-master: ${usage ? (err as Error).message : toAppError(err).message}\n`);
    exitAfterFlush(usage ? EXIT.usage : EXIT.failed);
  },
);

import { configIssues } from '../core/config';

type Env = Readonly<Record<string, string | undefined>>;

/**
 * `serve` flags are aliases of environment variables: a flag sets its variable and the one
 * schema in main/core/config.ts parses both, so they cannot disagree on the accepted form.
 */
export const serveOptions = [
  { flag: 'data', env: 'DECNET_DATA_DIR', value: 'DIR', dflt: '~/.local/share/decnet', help: 'CA, store, event log' },
  {
    flag: 'api-host',
    env: 'DECNET_API_HOST',
    value: 'HOST',
    dflt: '127.0.0.1',
    help: 'console API and web UI address',
  },
  { flag: 'api-port', env: 'DECNET_API_PORT', value: 'N', dflt: '8000', help: 'console API port (0 = any free port)' },
  { flag: 'swarm-host', env: 'DECNET_SWARM_HOST', value: 'HOST', dflt: '0.0.0.0', help: 'swarm listener address' },
  { flag: 'swarm-port', env: 'DECNET_SWARM_PORT', value: 'N', dflt: '8770', help: 'swarm listener port' },
  {
    flag: 'no-local-agent',
    env: 'DECNET_LOCAL_AGENT',
    value: '',
    dflt: 'local agent on',
    help: 'do not run deckies on this machine',
    sets: 'false',
  },
  {
    flag: 'mutate-interval',
    env: 'DECNET_MUTATE_INTERVAL_MIN',
    value: 'MIN',
    dflt: '30',
    help: 'fleet default mutation interval, 0 = off (Settings overrides it)',
  },
  { flag: 'log-level', env: 'DECNET_LOG_LEVEL', value: 'LEVEL', dflt: 'info', help: 'debug|info|warn|error|critical' },
] as const;

export const serveHelp = `usage: decnet-master serve [options]

Runs the master headless: swarm listener, console API + web UI, embedded local agent.

options (each overrides the environment variable shown):
${serveOptions.map((o) => `  --${o.flag}${o.value ? ` ${o.value}` : ''}`.padEnd(28) + `${o.help} (default ${o.dflt}; env ${o.env})`).join('\n')}
  -h, --help                  this help

Every other DECNET_* variable in the README applies too.
`;

/** The environment `serve` runs with, or the one-line reason it must not start. */
export function serveEnv(
  values: Readonly<Record<string, string | boolean | undefined>>,
  env: Env,
): { env: Env } | { error: string } {
  const out: Record<string, string | undefined> = { ...env };
  const fromFlag = new Map<string, string>();
  for (const o of serveOptions) {
    const v = values[o.flag];
    if (v === undefined || v === false) continue;
    out[o.env] = 'sets' in o ? o.sets : String(v);
    fromFlag.set(o.env, `--${o.flag}`);
  }
  const issues = configIssues(out);
  if (issues.length === 0) return { env: out };
  const first = issues[0]!;
  const flag = fromFlag.get(first.variable);
  const message = flag
    ? first.message.replace(first.variable, flag)
    : first.message.includes(first.variable)
      ? first.message
      : `${first.variable}: ${first.message}`;
  return { error: message };
}

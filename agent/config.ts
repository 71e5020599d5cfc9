import { z } from 'zod';
import { networkDrivers } from '../shared/domain/decky';
import { AGENT_DEFAULT_PORT } from '../shared/protocol/agent-api';
import { runtimeNames } from './runtime/types';

type Env = Readonly<Record<string, string | undefined>>;

/**
 * Every flag of `decnet-agent run|doctor` is an alias of one environment variable; this one schema
 * parses both before anything is created or bound (like main/core/config.ts for the master).
 */
export const agentOptions = [
  {
    flag: 'dir',
    env: 'DECNET_AGENT_DIR',
    value: 'DIR',
    dflt: '/etc/decnet/agent',
    help: 'identity (certificates, master URL)',
  },
  {
    flag: 'state-dir',
    env: 'DECNET_STATE_DIR',
    value: 'DIR',
    dflt: '/var/lib/decnet',
    help: 'state, outbox, event spool',
  },
  {
    flag: 'listen',
    env: 'DECNET_AGENT_LISTEN',
    value: 'HOST:PORT',
    dflt: `0.0.0.0:${AGENT_DEFAULT_PORT}`,
    help: 'agent API address',
  },
  {
    flag: 'runtime',
    env: 'DECNET_AGENT_RUNTIME',
    value: runtimeNames.join('|'),
    dflt: 'native',
    help: 'how deckies run',
  },
  {
    flag: 'network',
    env: 'DECNET_AGENT_NETWORK',
    value: networkDrivers.join('|'),
    dflt: 'loopback',
    help: 'network driver',
  },
  {
    flag: 'parent',
    env: 'DECNET_AGENT_PARENT',
    value: 'IFACE',
    dflt: 'the interface of the default route',
    help: 'LAN interface macvlan/ipvlan deckies attach to',
  },
  {
    flag: 'decky-range',
    env: 'DECNET_AGENT_DECKY_RANGE',
    value: 'FIRST-LAST|CIDR',
    dflt: 'the whole subnet',
    help: 'addresses deckies may take on the LAN',
  },
] as const;

const positiveInt = (name: string, dflt: number, min: number) =>
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v === '') return dflt;
      const n = Number(v);
      if (!Number.isInteger(n) || n < min) {
        ctx.addIssue({ code: 'custom', message: `${name} must be a whole number of at least ${min}, got "${v}"` });
        return z.NEVER;
      }
      return n;
    });

const AgentEnv = z.object({
  DECNET_AGENT_DIR: z.string().min(1).default('/etc/decnet/agent'),
  DECNET_STATE_DIR: z.string().min(1).default('/var/lib/decnet'),
  DECNET_AGENT_LISTEN: z
    .string()
    .default(`0.0.0.0:${AGENT_DEFAULT_PORT}`)
    .transform((v, ctx) => {
      const m = /^(.+):(\d{1,5})$/.exec(v);
      const port = Number(m?.[2]);
      if (!m || port > 65535) {
        ctx.addIssue({ code: 'custom', message: `DECNET_AGENT_LISTEN must be HOST:PORT, got "${v}"` });
        return z.NEVER;
      }
      return { host: m[1]!.replace(/^\[|\]$/g, ''), port };
    }),
  DECNET_AGENT_RUNTIME: z
    .enum(runtimeNames, {
      error: (i) => `DECNET_AGENT_RUNTIME must be one of ${runtimeNames.join(', ')}, got "${String(i.input)}"`,
    })
    .default('native'),
  DECNET_AGENT_NETWORK: z
    .enum(networkDrivers, {
      error: (i) => `DECNET_AGENT_NETWORK must be one of ${networkDrivers.join(', ')}, got "${String(i.input)}"`,
    })
    .default('loopback'),
  DECNET_HEARTBEAT_INTERVAL_S: positiveInt('DECNET_HEARTBEAT_INTERVAL_S', 30, 1),
  DECNET_DECKIES_PER_PROCESS: positiveInt('DECNET_DECKIES_PER_PROCESS', 16, 1),
  DECNET_MAX_HOST_PROCESSES: positiveInt('DECNET_MAX_HOST_PROCESSES', 8, 1),
  DECNET_LOG_LEVEL: z
    .enum(['debug', 'info', 'warn', 'error', 'critical'], {
      error: (i) => `DECNET_LOG_LEVEL must be debug, info, warn, error or critical, got "${String(i.input)}"`,
    })
    .default('info'),
  DECNET_INSTALL_ROOT: z.string().optional(),
  DECNET_AGENT_PARENT: z
    .string()
    .regex(/^[A-Za-z0-9_.:@-]{1,15}$/, 'DECNET_AGENT_PARENT must be an interface name (1-15 letters, digits, _.:@-)')
    .optional(),
  DECNET_AGENT_DECKY_RANGE: z.string().max(64).optional(),
});
export type AgentEnv = z.output<typeof AgentEnv>;

/** Flags over env, parsed; the error is one line naming the flag (or variable) and the accepted form. */
export function loadAgentConfig(
  values: Readonly<Record<string, string | boolean | undefined>>,
  env: Env,
): { config: AgentEnv } | { error: string } {
  const merged: Record<string, string | undefined> = { ...env };
  const fromFlag = new Map<string, string>();
  for (const o of agentOptions) {
    const v = values[o.flag];
    if (typeof v !== 'string') continue;
    merged[o.env] = v;
    fromFlag.set(o.env, `--${o.flag}`);
  }
  for (const k of Object.keys(merged)) if (merged[k] === '' && k !== 'DECNET_INSTALL_ROOT') delete merged[k];
  const r = AgentEnv.safeParse(merged);
  if (r.success) return { config: r.data };
  const issue = r.error.issues[0]!;
  const variable = String(issue.path[0] ?? '');
  const flag = fromFlag.get(variable);
  const msg = issue.message.includes(variable) ? issue.message : `${variable}: ${issue.message}`;
  return { error: flag ? msg.replace(variable, flag) : msg };
}

export function optionsHelp(): string {
  return agentOptions
    .map((o) => `  --${o.flag} ${o.value}`.padEnd(36) + `${o.help} (default ${o.dflt}; env ${o.env})`)
    .join('\n');
}

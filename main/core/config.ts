import { homedir, networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { AppError, describeZodError } from '../../shared/errors';
import { AGENT_DEFAULT_PORT } from '../../shared/protocol/agent-api';
import { UPDATER_DEFAULT_PORT } from '../../shared/protocol/updater-api';
import { SWARM_DEFAULT_PORT } from '../../shared/protocol/swarm-api';

type Env = Readonly<Record<string, string | undefined>>;

const bool = (name: string, dflt: boolean) =>
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v === '') return dflt;
      const s = v.trim().toLowerCase();
      if (['1', 'true', 'yes', 'on'].includes(s)) return true;
      if (['0', 'false', 'no', 'off'].includes(s)) return false;
      ctx.addIssue({ code: 'custom', message: `${name} must be true or false, got "${v}"` });
      return z.NEVER;
    });

const int = (name: string, dflt: number, min: number, max: number) =>
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v === '') return dflt;
      const n = Number(v);
      if (!Number.isInteger(n) || n < min || n > max) {
        ctx.addIssue({ code: 'custom', message: `${name} must be an integer between ${min} and ${max}, got "${v}"` });
        return z.NEVER;
      }
      return n;
    });

const list = z
  .string()
  .optional()
  .transform((v) =>
    (v ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
  );

/** Every DECNET_* knob the master reads, in one place. */
const EnvSchema = z.object({
  DECNET_DATA_DIR: z.string().optional(),
  DECNET_API_HOST: z.string().min(1).default('127.0.0.1'),
  DECNET_API_PORT: int('DECNET_API_PORT', 8000, 0, 65535),
  /** Host header names the console answers besides its address (a reverse proxy's name). */
  DECNET_API_ALLOWED_HOSTS: list,
  DECNET_SWARM_HOST: z.string().min(1).default('0.0.0.0'),
  DECNET_SWARM_PORT: int('DECNET_SWARM_PORT', SWARM_DEFAULT_PORT, 0, 65535),
  DECNET_SWARM_ADVERTISE: list,
  DECNET_AGENT_PORT: int('DECNET_AGENT_PORT', AGENT_DEFAULT_PORT, 1, 65535),
  /** Where the master reaches every worker's updater (decnet-updater.service). */
  DECNET_UPDATER_PORT: int('DECNET_UPDATER_PORT', UPDATER_DEFAULT_PORT, 1, 65535),
  DECNET_HEARTBEAT_INTERVAL_S: int('DECNET_HEARTBEAT_INTERVAL_S', 30, 1, 3600),
  DECNET_LIFECYCLE_DEADLINE_S: int('DECNET_LIFECYCLE_DEADLINE_S', 900, 1, 7 * 24 * 3600),
  DECNET_CORS_ORIGINS: list,
  DECNET_CANARY_HTTP_BASE: z.string().optional(),
  DECNET_LIMITER_ENABLED: bool('DECNET_LIMITER_ENABLED', true),
  DECNET_ADMIN_PASSWORD: z.string().optional(),
  DECNET_SESSION_TTL_S: int('DECNET_SESSION_TTL_S', 12 * 3600, 60, 30 * 24 * 3600),
  DECNET_VERIFY_HOSTNAME: bool('DECNET_VERIFY_HOSTNAME', false),
  DECNET_LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error', 'critical']).default('info'),
  DECNET_LOG_TARGET: z
    .string()
    .regex(
      /^(tcp|tls|udp):\/\/[^:/]+:\d{1,5}$/,
      'DECNET_LOG_TARGET must look like tls://host:port, tcp://host:port or udp://host:port',
    )
    .optional(),
  /** SIEM output: message format, and the collector's CA (PEM) to pin instead of the system store. */
  DECNET_LOG_FORMAT: z
    .enum(['rfc5424', 'ecs', 'cef'], { error: 'DECNET_LOG_FORMAT must be rfc5424, ecs or cef' })
    .default('rfc5424'),
  DECNET_LOG_CA: z.string().optional(),
  /** Event store retention: days kept and total size; 0 = no limit. */
  DECNET_EVENTS_MAX_AGE_DAYS: int('DECNET_EVENTS_MAX_AGE_DAYS', 90, 0, 36_500),
  DECNET_EVENTS_MAX_MB: int('DECNET_EVENTS_MAX_MB', 10_240, 0, 16 * 1024 * 1024),
  DECNET_LOCAL_AGENT: bool('DECNET_LOCAL_AGENT', true),
  DECNET_SELF_DESTRUCT_TIMEOUT_S: int('DECNET_SELF_DESTRUCT_TIMEOUT_S', 5, 1, 120),
  /** Fleet default until Settings overrides it; 0 = off. */
  DECNET_MUTATE_INTERVAL_MIN: int('DECNET_MUTATE_INTERVAL_MIN', 30, 0, 10080),
  /** Test-only: the length of one "minute" of mutation interval, so a test runs in seconds. */
  DECNET_MUTATE_UNIT_MS: int('DECNET_MUTATE_UNIT_MS', 60_000, 100, 60_000),
});

export type MasterConfig = Readonly<{
  dataDir: string;
  api: Readonly<{
    host: string;
    port: number;
    corsOrigins: readonly string[];
    allowedHosts: readonly string[];
    limiterEnabled: boolean;
    sessionTtlMs: number;
    adminPassword: string | null;
  }>;
  swarm: Readonly<{ host: string; port: number; advertise: readonly string[] }>;
  agentPort: number;
  updaterPort: number;
  heartbeatIntervalMs: number;
  lifecycleDeadlineMs: number;
  /** How often the sweep runs: often enough that a short deadline is honoured promptly. */
  sweepEveryMs: number;
  verifyHostname: boolean;
  logLevel: 'debug' | 'info' | 'warn' | 'error' | 'critical';
  logTarget: string | null;
  logFormat: 'rfc5424' | 'ecs' | 'cef';
  logCaFile: string | null;
  events: Readonly<{ retention: Readonly<{ maxAgeDays: number | null; maxBytes: number | null }> }>;
  localAgent: boolean;
  selfDestructTimeoutMs: number;
  mutate: Readonly<{ defaultInterval: number | null; unitMs: number }>;
  /** The raw environment, for validatePublicBinding. */
  env: Env;
}>;

export type ConfigOverrides = Partial<{ dataDir: string; localAgent: boolean; apiPort: number; swarmPort: number }>;

/** Every invalid knob, variable by variable (the CLI names the flag that set it instead). */
export function configIssues(env: Env): Array<{ variable: string; message: string }> {
  const parsed = EnvSchema.safeParse(env);
  if (parsed.success) return [];
  return parsed.error.issues.map((i) => ({ variable: String(i.path[0] ?? ''), message: i.message }));
}

/** Parses the environment; an invalid knob is an INVALID_INPUT naming every bad variable. */
export function loadConfig(env: Env, overrides: ConfigOverrides = {}): MasterConfig {
  const parsed = EnvSchema.safeParse(env);
  if (!parsed.success) {
    throw new AppError('INVALID_INPUT', `invalid configuration: ${describeZodError(parsed.error)}`);
  }
  const e = parsed.data;
  const dataDir = overrides.dataDir ?? e.DECNET_DATA_DIR ?? join(homedir(), '.local', 'share', 'decnet');
  const swarmHost = e.DECNET_SWARM_HOST;
  const advertise = e.DECNET_SWARM_ADVERTISE.length > 0 ? e.DECNET_SWARM_ADVERTISE : defaultAdvertise(swarmHost);
  const deadlineMs = e.DECNET_LIFECYCLE_DEADLINE_S * 1000;
  return {
    dataDir,
    api: {
      host: e.DECNET_API_HOST,
      port: overrides.apiPort ?? e.DECNET_API_PORT,
      corsOrigins: e.DECNET_CORS_ORIGINS,
      allowedHosts: e.DECNET_API_ALLOWED_HOSTS,
      limiterEnabled: e.DECNET_LIMITER_ENABLED,
      sessionTtlMs: e.DECNET_SESSION_TTL_S * 1000,
      adminPassword: e.DECNET_ADMIN_PASSWORD ? e.DECNET_ADMIN_PASSWORD : null,
    },
    swarm: { host: swarmHost, port: overrides.swarmPort ?? e.DECNET_SWARM_PORT, advertise },
    agentPort: e.DECNET_AGENT_PORT,
    updaterPort: e.DECNET_UPDATER_PORT,
    heartbeatIntervalMs: e.DECNET_HEARTBEAT_INTERVAL_S * 1000,
    lifecycleDeadlineMs: deadlineMs,
    sweepEveryMs: Math.max(250, Math.min(30_000, Math.floor(deadlineMs / 4))),
    verifyHostname: e.DECNET_VERIFY_HOSTNAME,
    logLevel: e.DECNET_LOG_LEVEL,
    logTarget: e.DECNET_LOG_TARGET ?? null,
    logFormat: e.DECNET_LOG_FORMAT,
    logCaFile: e.DECNET_LOG_CA ?? null,
    events: {
      retention: {
        maxAgeDays: e.DECNET_EVENTS_MAX_AGE_DAYS || null,
        maxBytes: e.DECNET_EVENTS_MAX_MB ? e.DECNET_EVENTS_MAX_MB * 1024 * 1024 : null,
      },
    },
    localAgent: overrides.localAgent ?? e.DECNET_LOCAL_AGENT,
    selfDestructTimeoutMs: e.DECNET_SELF_DESTRUCT_TIMEOUT_S * 1000,
    mutate: {
      defaultInterval: e.DECNET_MUTATE_INTERVAL_MIN === 0 ? null : e.DECNET_MUTATE_INTERVAL_MIN,
      unitMs: e.DECNET_MUTATE_UNIT_MS,
    },
    env,
  };
}

/**
 * Workers dial these names (the first one goes into enroll commands): the bind host when it is
 * specific, else this machine's first external IPv4 address, then loopback.
 */
function defaultAdvertise(host: string): string[] {
  if (host !== '0.0.0.0' && host !== '::') return [host];
  const external = Object.values(networkInterfaces())
    .flat()
    .find((i) => i && i.family === 'IPv4' && !i.internal)?.address;
  return [...(external ? [external] : []), '127.0.0.1', 'localhost'];
}

// One Redis connection's state (a small private keyspace, config, auth) and what a command
// returns; shared by the command table (redis-commands.ts) and its CONFIG/CLIENT subcommands.
import type { RespValue } from './resp-codec';

/** The major version the persona claims (7 when unparsable): wording and defaults follow it. */
export const redisMajor = (version: string): number => Number.parseInt(version, 10) || 7;

export const redisKeyspaceLimits = { maxKeys: 1000, maxBytes: 1024 * 1024 } as const;

export type RedisEnv = Readonly<{
  version: string;
  password: string;
  info: (section: string | undefined, keys: number) => string;
  /** This connection's client id (HELLO, CLIENT ID/LIST): a server-wide counter, as in Redis. */
  clientId: number;
  /** One CLIENT LIST/INFO line; `sub` is the subcommand (list|info), `proto` the connection's RESP. */
  clientLine: (name: string, sub: string, proto: 2 | 3) => string;
}>;

export type RedisState = {
  authed: boolean;
  /** RESP version of the replies: 2 until HELLO 3. */
  proto: 2 | 3;
  db: number;
  dbs: Map<string, Buffer>[];
  bytes: number;
  config: Map<string, string>;
  name: string | null;
  replicaOf: string | null;
};

export type RedisOutcome = {
  reply: RespValue;
  close?: boolean;
  /** Why an analyst should look twice (write to disk, replication, code). */
  dangerous?: string;
  auth?: { username: string; password: string; success: boolean };
};

export function defaultRedisConfig(version: string, password: string): Map<string, string> {
  const v7 = Number.parseInt(version, 10) >= 7;
  return new Map([
    ['dir', '/var/lib/redis'],
    ['dbfilename', 'dump.rdb'],
    ['requirepass', password],
    ['masterauth', ''],
    ['bind', v7 ? '* -::*' : '0.0.0.0'],
    ['protected-mode', password ? 'yes' : 'no'],
    ['port', '6379'],
    ['databases', '16'],
    ['maxmemory', '0'],
    ['maxmemory-policy', 'noeviction'],
    ['save', v7 ? '3600 1 300 100 60 10000' : '900 1 300 10 60 10000'],
    ['appendonly', 'no'],
    ['appendfilename', 'appendonly.aof'],
    ['logfile', '/var/log/redis/redis-server.log'],
    ['pidfile', '/run/redis/redis-server.pid'],
    ['loglevel', 'notice'],
    ['timeout', '0'],
    ['tcp-keepalive', '300'],
    ['daemonize', 'yes'],
    ['supervised', 'auto'],
    ['replica-read-only', 'yes'],
    ['slave-read-only', 'yes'],
  ]);
}

export function newRedisState(env: RedisEnv, seed: Map<string, Buffer>): RedisState {
  const dbs = Array.from({ length: 16 }, () => new Map<string, Buffer>());
  let bytes = 0;
  for (const [k, v] of seed) {
    dbs[0]!.set(k, v);
    bytes += k.length + v.length;
  }
  return {
    authed: env.password === '',
    proto: 2,
    db: 0,
    dbs,
    bytes,
    config: defaultRedisConfig(env.version, env.password),
    name: null,
    replicaOf: null,
  };
}

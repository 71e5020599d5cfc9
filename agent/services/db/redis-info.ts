import { createHash } from 'node:crypto';
import { distros, type DistroName } from '../../../shared/catalog/distros';

/**
 * INFO output consistent with the decky: the `os` line carries the distro's kernel, gcc_version
 * the compiler that distro builds its redis-server with, and the build id / run id are stable per
 * decky so that two INFO calls, or two scans a week apart, agree.
 */
const gccByDistro: Record<DistroName, string> = {
  debian: '12.2.0',
  ubuntu22: '11.4.0',
  ubuntu20: '9.4.0',
  rocky9: '11.4.1',
  centos7: '4.8.5',
  alpine: '13.2.1',
  fedora: '13.2.1',
  kali: '14.2.0',
  arch: '14.2.1',
  windows: '0.0.0',
};

export type RedisInfoInput = Readonly<{
  version: string;
  distro: DistroName;
  deckyName: string;
  startedAt: number;
  port: number;
  connectedClients: number;
  keys: number;
  totalConnections: number;
  totalCommands: number;
}>;

function stableHex(seed: string, len: number): string {
  return createHash('sha256').update(seed).digest('hex').slice(0, len);
}

/** Build ids of the packages we know (the same on every install); else stable hex, printed %llx. */
const knownBuildIds: Record<string, string> = { 'debian 7.0.15': 'ae4d7c971a948f0' };
function buildId(version: string, distro: DistroName): string {
  return knownBuildIds[`${distro} ${version}`] ?? stableHex(version + distro, 16).replace(/^0+/, '');
}

export function redisInfoSections(i: RedisInfoInput): Record<string, [string, string | number][]> {
  const now = Date.now();
  const uptime = Math.floor((now - i.startedAt) / 1000) + 86_400 * 17 + 3_611;
  const [maj = 7] = i.version.split('.').map(Number);
  const v6 = maj >= 6;
  const v7 = maj >= 7;
  const pid = 700 + (parseInt(stableHex(i.deckyName + 'pid', 4), 16) % 900);
  const server: [string, string | number][] = [
    ['redis_version', i.version],
    ['redis_git_sha1', '00000000'],
    ['redis_git_dirty', 0],
    ['redis_build_id', buildId(i.version, i.distro)],
    ['redis_mode', 'standalone'],
    ['os', `Linux ${distros[i.distro].kernel} x86_64`],
    ['arch_bits', 64],
    ...(v6 ? ([['monotonic_clock', 'POSIX clock_gettime']] as [string, string][]) : []),
    ['multiplexing_api', 'epoll'],
    ['atomicvar_api', v6 ? 'c11-builtin' : 'atomic-builtin'],
    ['gcc_version', gccByDistro[i.distro]],
    ['process_id', pid],
    ...(v6 ? ([['process_supervised', 'systemd']] as [string, string][]) : []),
    ['run_id', stableHex(i.deckyName + 'run' + i.startedAt, 40)],
    ['tcp_port', i.port],
    ...(v6
      ? ([['server_time_usec', Math.floor((performance.timeOrigin + performance.now()) * 1000)]] as [string, number][])
      : []),
    ['uptime_in_seconds', uptime],
    ['uptime_in_days', Math.floor(uptime / 86_400)],
    ['hz', 10],
    ['configured_hz', 10],
    ['lru_clock', Math.floor(now / 1000) % 16_777_216],
    ['executable', '/usr/bin/redis-server'],
    ['config_file', i.distro === 'centos7' || i.distro === 'alpine' ? '/etc/redis.conf' : '/etc/redis/redis.conf'],
    ...(v6 ? ([['io_threads_active', 0]] as [string, number][]) : []),
  ];
  const usedMemory = 1_043_216 + i.keys * 96;
  return {
    Server: server,
    Clients: [
      ['connected_clients', i.connectedClients],
      ...(v7
        ? ([
            ['cluster_connections', 0],
            ['maxclients', 10000],
          ] as [string, number][])
        : []),
      ['client_recent_max_input_buffer', 20480],
      ['client_recent_max_output_buffer', 0],
      ['blocked_clients', 0],
      ...(v6 ? ([['tracking_clients', 0]] as [string, number][]) : []),
    ],
    Memory: [
      ['used_memory', usedMemory],
      ['used_memory_human', `${(usedMemory / 1024 / 1024).toFixed(2)}M`],
      ['used_memory_rss', 7_639_040],
      ['used_memory_rss_human', '7.29M'],
      ['used_memory_peak', 1_204_584],
      ['used_memory_peak_human', '1.15M'],
      ['total_system_memory', 4_101_779_456],
      ['total_system_memory_human', '3.82G'],
      ['maxmemory', 0],
      ['maxmemory_human', '0B'],
      ['maxmemory_policy', 'noeviction'],
      ['mem_fragmentation_ratio', 7.32],
      ['mem_allocator', i.distro === 'alpine' ? 'libc' : 'jemalloc-5.3.0'],
    ],
    Persistence: [
      ['loading', 0],
      ['rdb_changes_since_last_save', 0],
      ['rdb_bgsave_in_progress', 0],
      ['rdb_last_save_time', Math.floor(i.startedAt / 1000) - 3_600],
      ['rdb_last_bgsave_status', 'ok'],
      ['aof_enabled', 0],
      ['aof_rewrite_in_progress', 0],
    ],
    Stats: [
      ['total_connections_received', 1_284 + i.totalConnections],
      ['total_commands_processed', 40_112 + i.totalCommands],
      ['instantaneous_ops_per_sec', 0],
      ['rejected_connections', 0],
      ['expired_keys', 312],
      ['evicted_keys', 0],
      ['keyspace_hits', 18_204],
      ['keyspace_misses', 2_931],
    ],
    Replication: [
      ['role', 'master'],
      ['connected_slaves', 0],
      ['master_replid', stableHex(i.deckyName + 'replid', 40)],
      ['master_repl_offset', 0],
    ],
    CPU: [
      ['used_cpu_sys', (uptime * 0.0021).toFixed(6)],
      ['used_cpu_user', (uptime * 0.0017).toFixed(6)],
    ],
    Keyspace: i.keys > 0 ? [['db0', `keys=${i.keys},expires=0,avg_ttl=0`]] : [],
  };
}

/** The text of INFO [section]: `# Server\r\nredis_version:7.0.15\r\n…`, sections separated by a blank line. */
export function redisInfo(i: RedisInfoInput, section?: string): string {
  const all = redisInfoSections(i);
  const wanted = section ? section.toLowerCase() : 'default';
  const names = Object.keys(all).filter(
    (n) => wanted === 'default' || wanted === 'all' || wanted === 'everything' || n.toLowerCase() === wanted,
  );
  return names.map((n) => [`# ${n}`, ...all[n]!.map(([k, v]) => `${k}:${v}`)].join('\r\n') + '\r\n').join('\r\n');
}

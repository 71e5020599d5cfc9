import { createHash } from 'node:crypto';
import type { DeckyConfig } from '../../../shared/domain/decky';
import type { StartMessageInput } from '../native/decky-host-protocol';
import { sysctlsFor } from '../../network/os-sysctls';

/** Labels every object the runtime creates carries: self-destruct and `attach` find them by these. */
export const LABEL = {
  managed: 'com.decnet.managed',
  decky: 'com.decnet.decky',
  service: 'com.decnet.service',
  hostId: 'com.decnet.host-id',
  /** Hash of the service's start message: a changed persona changes the definition, so compose recreates it. */
  start: 'com.decnet.start-hash',
} as const;

/** The unprivileged user every container runs as (nobody): no service needs root inside. */
export const CONTAINER_USER = '65534:65534';

/**
 * The uid a decky's service containers run as, which owns its run and data directories: nobody on
 * a LAN driver; root (with no capability but NET_BIND_SERVICE) on the loopback driver, whose low
 * ports are the engine's own namespace's, where nobody may not bind them.
 */
export const serviceUid = (network: ComposeNetwork): number => (network.kind === 'lan' ? 65534 : 0);
/** Where a service container finds its start message (read-only) and keeps its socket and spool. */
export const CONF_DIR = '/decnet/conf';
export const RUN_DIR = '/decnet/run';
export const DATA_DIR = '/decnet/data';

/** Per-container ceilings: a decky under attack must not starve its neighbours. */
export const LIMITS = {
  base: { mem: '16m', pids: 8 },
  service: { mem: '256m', pids: 128, tmp: '16m' },
} as const;

export type ComposeNetwork =
  | Readonly<{ kind: 'loopback' }>
  /** A docker network of the macvlan/ipvlan driver the runtime created on the parent interface. */
  | Readonly<{ kind: 'lan'; name: string }>;

export type ComposeInput = Readonly<{
  decky: DeckyConfig;
  image: string;
  network: ComposeNetwork;
  /** Host paths bind-mounted into every service container. */
  confDir: string;
  runDir: string;
  dataDir: string;
  logLevel?: string;
}>;

/** `decnet-<decky>`: one compose project per decky, so no deploy ever touches a neighbour's containers. */
export const projectName = (decky: string): string => `decnet-${decky}`;

/** The control-socket id of one service container (16 hex digits, as decky-host requires). */
export const hostIdFor = (decky: string, service: string): string =>
  createHash('sha256').update(`${decky}\0${service}`).digest('hex').slice(0, 16);

/**
 * A stable, locally administered unicast MAC per decky. Docker's own (02:42 + the IP) names the
 * product to anyone on the LAN; this looks like the random MAC a native macvlan link gets.
 */
export function macFor(decky: string): string {
  const b = createHash('sha256').update(`decnet-mac\0${decky}`).digest();
  const first = ((b[0] ?? 0) & 0xfc) | 0x02;
  const bytes = [first === 0x02 && b[1] === 0x42 ? 0x06 : first, ...b.subarray(1, 6)];
  return bytes.map((x) => x.toString(16).padStart(2, '0')).join(':');
}

/** The start message one service container boots from: the decky reduced to that one service. */
export function startMessageFor(decky: DeckyConfig, service: DeckyConfig['services'][number]): StartMessageInput {
  const own = decky.serviceConfig[service];
  return {
    type: 'start',
    decky: { ...decky, services: [service], serviceConfig: own ? { [service]: own } : {} },
    dataDir: DATA_DIR,
  };
}

/** The start message's hash without `lastMutated`: mutating one service must not recreate the others. */
export function startHash(decky: DeckyConfig, service: DeckyConfig['services'][number]): string {
  const { lastMutated: _l, ...rest } = decky;
  return createHash('sha256')
    .update(JSON.stringify(startMessageFor(rest, service)))
    .digest('hex')
    .slice(0, 16);
}

const hardened = {
  read_only: true,
  cap_drop: ['ALL'],
  security_opt: ['no-new-privileges:true'],
  user: CONTAINER_USER,
  restart: 'unless-stopped',
  logging: { driver: 'json-file', options: { 'max-size': '5m', 'max-file': '2' } },
} as const;

/**
 * The compose project of one decky (Compose Specification, written as JSON, which every compose
 * parser reads as YAML). A base container owns the decky's network namespace: its LAN address and
 * MAC on the driver's docker network and the persona's TCP/IP sysctls; each service runs in its
 * own container inside that namespace (`network_mode: service:base`), as the unprivileged user
 * with no capabilities (the base lowers `ip_unprivileged_port_start` for its namespace only), a
 * read-only root and bounded memory and pids. Containers restart on their own and outlive the agent.
 */
export function composeDecky(input: ComposeInput): Record<string, unknown> {
  const { decky, image } = input;
  const labels = (service: string, extra: Record<string, string> = {}) => ({
    [LABEL.managed]: 'true',
    [LABEL.decky]: decky.name,
    [LABEL.service]: service,
    ...extra,
  });
  const lan = input.network.kind === 'lan' ? input.network : null;
  const base: Record<string, unknown> = {
    ...hardened,
    image,
    container_name: `${projectName(decky.name)}-base`,
    entrypoint: ['sleep', 'infinity'],
    // sleep has nothing to flush; SIGTERM would only wait out the grace period.
    stop_signal: 'SIGKILL',
    hostname: decky.hostname ?? decky.name,
    mem_limit: LIMITS.base.mem,
    pids_limit: LIMITS.base.pids,
    labels: labels('base'),
  };
  if (lan) {
    base['networks'] = { [lan.name]: { ipv4_address: decky.ip } };
    base['mac_address'] = macFor(decky.name);
    base['sysctls'] = { ...sysctlsFor(decky.nmapOs), 'net.ipv4.ip_unprivileged_port_start': '0' };
  } else {
    // Development driver: the engine's own namespace, like the native runtime's 127.x addresses.
    base['network_mode'] = 'host';
  }
  const services: Record<string, unknown> = { base };
  for (const service of decky.services) {
    const hostId = hostIdFor(decky.name, service);
    services[service] = {
      ...hardened,
      image,
      container_name: `${projectName(decky.name)}-${service}`,
      entrypoint: ['node', '/opt/decnet/lib/decky-host.js'],
      network_mode: 'service:base',
      depends_on: ['base'],
      // Low ports need root or a capability on the host's namespace (the loopback driver).
      ...(lan ? {} : { cap_add: ['NET_BIND_SERVICE'], user: '0:0' }),
      mem_limit: LIMITS.service.mem,
      pids_limit: LIMITS.service.pids,
      tmpfs: [`/tmp:size=${LIMITS.service.tmp},mode=1777`],
      environment: {
        DECNET_HOST_ID: hostId,
        DECNET_HOSTS_DIR: RUN_DIR,
        DECNET_HOST_START: `${CONF_DIR}/${service}.start.json`,
        DECNET_LOG_LEVEL: input.logLevel ?? 'info',
      },
      volumes: [`${input.confDir}:${CONF_DIR}:ro`, `${input.runDir}:${RUN_DIR}:rw`, `${input.dataDir}:${DATA_DIR}:rw`],
      labels: labels(service, { [LABEL.hostId]: hostId, [LABEL.start]: startHash(decky, service) }),
    };
  }
  const doc: Record<string, unknown> = { services };
  if (lan) doc['networks'] = { [lan.name]: { external: true } };
  return doc;
}

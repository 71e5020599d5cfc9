import { AppError } from '../../../shared/errors';
import type { HostNetwork } from '../../network/host-network';
import { type DockerCli, failureLine, withRetries } from './docker-cli';
import { LABEL } from './compose-file';

export type LanDriver = 'macvlan' | 'ipvlan';

/** `decnet-macvlan-eth0`: one docker network per driver and parent, shared by every decky project. */
export const lanNetworkName = (driver: LanDriver, host: HostNetwork): string => `decnet-${driver}-${host.interface}`;

const Inspect = (text: string) => {
  try {
    const v = JSON.parse(text) as Array<{
      Driver?: string;
      Options?: Record<string, string>;
      IPAM?: { Config?: Array<{ Subnet?: string }> };
    }>;
    return v[0] ?? null;
  } catch {
    return null;
  }
};

/**
 * Creates (once) the docker network the deckies' base containers attach to: the driver on the
 * worker's parent interface, the worker's subnet and gateway, with the worker's own address
 * reserved so the engine never hands it out. An existing network of that name on another parent,
 * driver or subnet is an operator's, and is refused rather than changed.
 */
export async function ensureLanNetwork(cli: DockerCli, driver: LanDriver, host: HostNetwork): Promise<string> {
  const name = lanNetworkName(driver, host);
  const seen = await cli.docker(['network', 'inspect', name]);
  if (seen.code === 0) {
    const n = Inspect(seen.stdout);
    const subnet = n?.IPAM?.Config?.[0]?.Subnet;
    if (n?.Driver !== driver || n.Options?.['parent'] !== host.interface || subnet !== host.subnet)
      throw new AppError(
        'CONFLICT',
        `docker network ${name} exists with driver ${n?.Driver ?? '?'}, parent ${n?.Options?.['parent'] ?? '?'}, subnet ${subnet ?? '?'}; remove it or choose another parent`,
      );
    return name;
  }
  const args = ['network', 'create', '-d', driver, '--subnet', host.subnet, '--aux-address', `worker=${host.address}`];
  if (host.gateway) args.push('--gateway', host.gateway);
  args.push('-o', `parent=${host.interface}`);
  if (driver === 'ipvlan') args.push('-o', 'ipvlan_mode=l2');
  args.push('--label', `${LABEL.managed}=true`, name);
  const r = await withRetries(() => cli.docker(args));
  // Two deckies creating it at once: the loser finds it made.
  if (r.code !== 0 && !/already exists/.test(r.stderr))
    throw new AppError('INTERNAL', `cannot create docker network ${name}: ${failureLine(r)}`);
  return name;
}

/** Every container, network and volume the runtime labelled, removed (self-destruct, teardown of everything). */
export async function removeLabelled(
  cli: DockerCli,
): Promise<{ containers: number; networks: number; volumes: number }> {
  const filter = ['--filter', `label=${LABEL.managed}=true`];
  const ids = async (args: string[]) =>
    (await cli.docker([...args, ...filter, '-q'])).stdout
      .split('\n')
      .map((s) => s.trim())
      .filter(Boolean);
  const containers = await ids(['ps', '-a']);
  if (containers.length) await withRetries(() => cli.docker(['rm', '-f', '-v', ...containers]));
  const networks = await ids(['network', 'ls']);
  for (const n of networks) await withRetries(() => cli.docker(['network', 'rm', n]));
  const volumes = await ids(['volume', 'ls']);
  if (volumes.length) await withRetries(() => cli.docker(['volume', 'rm', '-f', ...volumes]));
  return { containers: containers.length, networks: networks.length, volumes: volumes.length };
}

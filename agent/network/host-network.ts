import { z } from 'zod';
import { networkOf } from '../../shared/domain/ip-range';
import { ip } from './ip-command';

/** The worker's LAN as the agent sees it: what it reports and what deckies attach to. */
export type HostNetwork = Readonly<{
  /** Parent interface of the deckies' macvlan/ipvlan links. */
  interface: string;
  /** The worker's own address on it (never given to a decky). */
  address: string;
  prefixLen: number;
  /** `198.51.100.0/24` */
  subnet: string;
  /** Gateway of the default route when it leaves through this interface (never given to a decky). */
  gateway?: string;
}>;

const Routes = z.array(z.looseObject({ dst: z.string(), dev: z.string().optional(), gateway: z.string().optional() }));
const Addrs = z.array(
  z.looseObject({
    ifname: z.string(),
    addr_info: z.array(z.looseObject({ family: z.string(), local: z.string(), prefixlen: z.number() })).default([]),
  }),
);

/**
 * Reads the interface of the default route (or `parent` when the operator named one), its first
 * IPv4 address and the gateway. Throws a one-line error naming what is missing.
 */
export async function detectHostNetwork(parent?: string): Promise<HostNetwork> {
  const routes = Routes.parse(JSON.parse((await ip('-j', '-4', 'route', 'show', 'default')) || '[]'));
  const def = routes.find((r) => r.dst === 'default' && r.dev);
  const dev = parent ?? def?.dev;
  if (!dev)
    throw new Error(
      'no default route to find the LAN interface on; name the parent interface with --parent IFACE (DECNET_AGENT_PARENT)',
    );
  let raw: string;
  try {
    raw = await ip('-j', '-4', 'addr', 'show', 'dev', dev);
  } catch {
    throw new Error(`parent interface ${dev} does not exist (check with: ip link show)`);
  }
  const info = Addrs.parse(JSON.parse(raw || '[]'))[0]?.addr_info.find((a) => a.family === 'inet');
  if (!info) throw new Error(`parent interface ${dev} has no IPv4 address; give it one or name another with --parent`);
  const gateway = def && def.dev === dev ? def.gateway : undefined;
  return {
    interface: dev,
    address: info.local,
    prefixLen: info.prefixlen,
    subnet: networkOf(info.local, info.prefixlen),
    ...(gateway ? { gateway } : {}),
  };
}

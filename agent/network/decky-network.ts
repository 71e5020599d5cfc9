import type { DeckyConfig } from '../../shared/domain/decky';
import type { Logger } from '../../shared/node/logger';
import type { AddressProbe } from './arp-probe';
import { createDeckyNamespace, destroyDeckyNamespace, namespaceFor, type L2Driver } from './decky-namespace';
import type { HostNetwork } from './host-network';
import { chooseAddress, type IpRange } from './relocalise';
import { addShimRoute, removeShim, removeShimRoute } from './shim';

export type AttachedDecky = Readonly<{ ns: string; ip: string }>;

/** Gives each decky its namespace and address on the LAN; the runtime hosts its services. */
export type DeckyNetwork = Readonly<{
  driver: L2Driver;
  host: HostNetwork;
  attach: (decky: DeckyConfig) => Promise<AttachedDecky>;
  detach: (name: string) => Promise<void>;
  /** The address a decky actually has (after re-localisation). */
  addressOf: (name: string) => string | undefined;
}>;

export type DeckyNetworkOptions = Readonly<{
  driver: L2Driver;
  host: HostNetwork;
  range: IpRange;
  probe: AddressProbe;
  log: Logger;
}>;

export function createDeckyNetwork(o: DeckyNetworkOptions): DeckyNetwork {
  const addresses = new Map<string, string>();
  const shimmed = new Set<string>();
  /** Attaches in flight (a shim they may be creating must not be removed under them). */
  let attaching = 0;
  /** Addresses being probed by an attach in flight. */
  const claimed = new Set<string>();

  const detach = async (name: string): Promise<void> => {
    const address = addresses.get(name);
    addresses.delete(name);
    const hadShim = address !== undefined && shimmed.delete(name);
    if (hadShim) await removeShimRoute(address);
    await destroyDeckyNamespace(namespaceFor(name));
    // Only the last shimmed decky's own teardown removes the shim (never an attach's clean-up pass,
    // which could race a concurrent attach that just created it).
    if (hadShim && shimmed.size === 0 && attaching === 0) await removeShim();
  };

  return {
    driver: o.driver,
    host: o.host,
    addressOf: (name) => addresses.get(name),
    detach,
    attach: async (decky) => {
      await detach(decky.name);
      attaching++;
      const inUse = new Set(addresses.values());
      // Candidates are claimed before their probe so concurrent attaches never pick the same address.
      const mine = new Set<string>();
      const claim = (a: string) => {
        if (claimed.has(a)) return false;
        claimed.add(a);
        mine.add(a);
        return true;
      };
      try {
        const ip = await chooseAddress({
          decky: decky.name,
          wanted: decky.ip,
          net: o.host,
          range: o.range,
          inUse,
          probe: o.probe,
          claim,
        });
        for (const a of mine) claimed.delete(a);
        mine.clear();
        addresses.set(decky.name, ip);
        if (ip !== decky.ip)
          o.log.info('decky re-localised', { decky: decky.name, planned: decky.ip, ip, subnet: o.host.subnet });
        const ns = namespaceFor(decky.name);
        await createDeckyNamespace({
          ns,
          driver: o.driver,
          parent: o.host.interface,
          ip,
          prefixLen: o.host.prefixLen,
          ...(o.host.gateway ? { gateway: o.host.gateway } : {}),
          os: decky.nmapOs,
        });
        if (o.driver === 'macvlan') {
          await addShimRoute(o.host.interface, ip, o.host.address);
          shimmed.add(decky.name);
        }
        return { ns, ip };
      } catch (err) {
        for (const a of mine) claimed.delete(a);
        attaching--;
        await detach(decky.name);
        attaching++;
        throw err;
      } finally {
        attaching--;
      }
    },
  };
}

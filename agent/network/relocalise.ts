import { AppError } from '../../shared/errors';
import type { AddressProbe } from './arp-probe';
import { hostsOf, intToIp, ipToInt, rangeHint, tryParseRange, type IpRange } from '../../shared/domain/ip-range';
import type { HostNetwork } from './host-network';

/** Candidates tried for one re-localised decky before giving up (each probe costs about a second). */
const MAX_PROBES = 8;

export type { IpRange };

export function parseRange(text: string): IpRange {
  const r = tryParseRange(text);
  if (!r) throw new AppError('INVALID_INPUT', `decky IP range "${text}" must be ${rangeHint}`);
  return r;
}

/** The default decky range: every host address of the worker's subnet. */
export function defaultRange(net: HostNetwork): IpRange {
  return hostsOf(net.address, net.prefixLen);
}

export type AddressRequest = Readonly<{
  decky: string;
  /** The address the master planned (possibly for another subnet). */
  wanted: string;
  net: HostNetwork;
  range: IpRange;
  /** Addresses of the other deckies of this worker. */
  inUse: ReadonlySet<string>;
  probe: AddressProbe;
  /** Takes a candidate before it is probed (false: a concurrent request holds it); released by the caller. */
  claim?: (address: string) => boolean;
}>;

/**
 * The address a decky takes on this worker: the planned one when it lies in the range and is free,
 * otherwise (a plan made for another subnet, or a collision with the worker, its gateway or
 * another decky) the lowest free address of the range. Every choice is probed on the LAN first; a
 * planned address someone else answers for fails the decky rather than silently moving it.
 */
export async function chooseAddress(req: AddressRequest): Promise<string> {
  const { net, range } = req;
  const reserved = (a: string) => a === net.address || a === net.gateway || req.inUse.has(a);
  const claim = req.claim ?? (() => true);
  const w = ipToInt(req.wanted);
  if (w >= range.first && w <= range.last && !reserved(req.wanted) && claim(req.wanted)) {
    if (await req.probe(net.interface, req.wanted)) {
      throw new AppError(
        'CONFLICT',
        `decky ${req.decky}: ${req.wanted} is already in use on the LAN (a host answered ARP on ${net.interface}); choose another address`,
      );
    }
    return req.wanted;
  }
  let probes = 0;
  for (let n = range.first; n <= range.last; n++) {
    const candidate = intToIp(n);
    if (reserved(candidate) || !claim(candidate)) continue;
    if (probes++ >= MAX_PROBES) break;
    if (!(await req.probe(net.interface, candidate))) return candidate;
  }
  const span = `${intToIp(range.first)}-${intToIp(range.last)}`;
  throw new AppError(
    'CONFLICT',
    `decky ${req.decky}: no free address left in ${span} on ${net.interface} (${probes >= MAX_PROBES ? `${MAX_PROBES} probed addresses answered ARP` : 'range exhausted'})`,
  );
}

import { AppError } from '../../shared/errors';
import type { AddressProbe } from './arp-probe';
import { intToIp, ipToInt, networkOf, type HostNetwork } from './host-network';

/** Inclusive range of decky addresses, as integers. */
export type IpRange = Readonly<{ first: number; last: number }>;

/** Candidates tried for one re-localised decky before giving up (each probe costs about a second). */
const MAX_PROBES = 8;

/** `198.51.100.100-198.51.100.199` or a CIDR `198.51.100.128/25` (its network and broadcast excluded). */
export function parseRange(text: string): IpRange {
  const v4 = /^(\d{1,3}\.){3}\d{1,3}$/;
  const valid = (a: string) => v4.test(a) && a.split('.').every((o) => Number(o) <= 255);
  const dash = text.split('-');
  if (dash.length === 2 && valid(dash[0]!) && valid(dash[1]!)) {
    const first = ipToInt(dash[0]!);
    const last = ipToInt(dash[1]!);
    if (first <= last) return { first, last };
  }
  const cidr = /^([\d.]+)\/(\d{1,2})$/.exec(text);
  if (cidr && valid(cidr[1]!) && Number(cidr[2]) >= 8 && Number(cidr[2]) <= 30) return hostsOf(cidr[1]!, Number(cidr[2]));
  throw new AppError('INVALID_INPUT', `decky IP range "${text}" must be FIRST-LAST or a CIDR between /8 and /30, e.g. 198.51.100.100-198.51.100.199`);
}

function hostsOf(address: string, prefixLen: number): IpRange {
  const base = ipToInt(networkOf(address, prefixLen).split('/')[0]!);
  const size = 2 ** (32 - prefixLen);
  return { first: base + 1, last: base + size - 2 };
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
      throw new AppError('CONFLICT', `decky ${req.decky}: ${req.wanted} is already in use on the LAN (a host answered ARP on ${net.interface}); choose another address`);
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
  throw new AppError('CONFLICT', `decky ${req.decky}: no free address left in ${span} on ${net.interface} (${probes >= MAX_PROBES ? `${MAX_PROBES} probed addresses answered ARP` : 'range exhausted'})`);
}

/** IPv4 arithmetic shared by the master's planner and the agent's re-localisation. */

/** Inclusive range of addresses, as unsigned integers. */
export type IpRange = Readonly<{ first: number; last: number }>;

export function ipToInt(a: string): number {
  const p = a.split('.').map(Number);
  return (((p[0]! << 24) >>> 0) + (p[1]! << 16) + (p[2]! << 8) + p[3]!) >>> 0;
}

export function intToIp(n: number): string {
  return [(n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

/** `198.51.100.7`, 24 → `198.51.100.0/24` */
export function networkOf(address: string, prefixLen: number): string {
  const mask = prefixLen === 0 ? 0 : (~0 << (32 - prefixLen)) >>> 0;
  return `${intToIp((ipToInt(address) & mask) >>> 0)}/${prefixLen}`;
}

/** The host addresses of a subnet (network and broadcast excluded). */
export function hostsOf(address: string, prefixLen: number): IpRange {
  const base = ipToInt(networkOf(address, prefixLen).split('/')[0]!);
  const size = 2 ** (32 - prefixLen);
  return { first: base + 1, last: base + size - 2 };
}

const V4 = /^(\d{1,3}\.){3}\d{1,3}$/;
const valid = (a: string) => V4.test(a) && a.split('.').every((o) => Number(o) <= 255);

/** `FIRST-LAST` or a CIDR between /8 and /30; undefined when the text is neither. */
export function tryParseRange(text: string): IpRange | undefined {
  const dash = text.split('-');
  if (dash.length === 2 && valid(dash[0]!) && valid(dash[1]!)) {
    const first = ipToInt(dash[0]!);
    const last = ipToInt(dash[1]!);
    return first <= last ? { first, last } : undefined;
  }
  const cidr = /^([\d.]+)\/(\d{1,2})$/.exec(text);
  if (cidr && valid(cidr[1]!) && Number(cidr[2]) >= 8 && Number(cidr[2]) <= 30)
    return hostsOf(cidr[1]!, Number(cidr[2]));
  return undefined;
}

export const rangeHint = 'FIRST-LAST or a CIDR between /8 and /30, e.g. 198.51.100.100-198.51.100.199';

export function rangeText(r: IpRange): string {
  return `${intToIp(r.first)}-${intToIp(r.last)}`;
}

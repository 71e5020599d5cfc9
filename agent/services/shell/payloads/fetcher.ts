import { lookup } from 'node:dns/promises';
import http from 'node:http';
import https from 'node:https';
import { BlockList, isIP } from 'node:net';

/**
 * The real fetch behind wget/curl when a decky has `fetch` on. An attacker chooses the URL, so
 * this is an open door into the worker's networks unless it refuses them: every address that is
 * not public unicast (loopback, RFC 1918, CGNAT, link-local with the cloud metadata address,
 * unique-local, multicast, reserved) is refused, not only the worker's own subnets, and the
 * connection is pinned to the address that was checked (no second DNS answer, no rebinding).
 * Each redirect is checked the same way. Loopback is allowed only by `allowLoopback`, which the
 * service sets from DECNET_FETCH_ALLOW_LOOPBACK=1 (integration tests; never a persona key).
 */
export const fetchLimits = { maxBytes: 4 * 1024 * 1024, timeoutMs: 15_000, maxRedirects: 5 } as const;

export type FetchOptions = Readonly<{
  maxBytes: number;
  timeoutMs: number;
  maxRedirects: number;
  allowLoopback: boolean;
}>;

export type FetchResult =
  | Readonly<{ ok: true; url: string; status: number; contentType: string; body: Buffer; address: string }>
  | Readonly<{
      ok: false;
      url: string;
      reason: 'refused-address' | 'unsupported' | 'dns' | 'connect' | 'timeout' | 'too-large' | 'http-status';
      message: string;
      status?: number;
      address?: string;
    }>;

export type Fetcher = (url: string) => Promise<FetchResult>;

const blocked = new BlockList();
for (const [net, bits] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const)
  blocked.addSubnet(net, bits, 'ipv4');
for (const [net, bits] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
  ['2001:db8::', 32],
  ['64:ff9b::', 96],
] as const)
  blocked.addSubnet(net, bits, 'ipv6');

/** Why `address` may not be fetched from, or null when it may. IPv4-mapped IPv6 is judged as IPv4. */
export function refusedAddress(address: string, allowLoopback: boolean): string | null {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1];
  const addr = mapped ?? address;
  const family = isIP(addr);
  if (family === 0) return 'not an IP address';
  if (allowLoopback && (family === 4 ? addr.startsWith('127.') : addr === '::1')) return null;
  return blocked.check(addr, family === 4 ? 'ipv4' : 'ipv6') ? 'not a public address' : null;
}

export function createFetcher(opts: FetchOptions): Fetcher {
  return async (raw) => {
    let url = raw;
    const deadline = Date.now() + opts.timeoutMs;
    for (let hop = 0; ; hop++) {
      const r = await fetchOnce(url, opts, deadline);
      if (!('redirect' in r)) return r;
      if (hop >= opts.maxRedirects)
        return { ok: false, url, reason: 'http-status', status: r.status, message: 'too many redirects' };
      url = r.redirect;
    }
  };
}

type Hop = FetchResult | Readonly<{ redirect: string; status: number }>;

async function fetchOnce(raw: string, opts: FetchOptions, deadline: number): Promise<Hop> {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    return { ok: false, url: raw, reason: 'unsupported', message: 'not a URL' };
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:')
    return { ok: false, url: raw, reason: 'unsupported', message: `scheme ${u.protocol} is not fetched` };
  const host = u.hostname.replace(/^\[|\]$/g, '');
  let address: string;
  let family: number;
  try {
    const all = isIP(host) ? [{ address: host, family: isIP(host) }] : await lookup(host, { all: true });
    const ok = all.find((a) => refusedAddress(a.address, opts.allowLoopback) === null);
    if (!ok)
      return {
        ok: false,
        url: raw,
        reason: 'refused-address',
        message: `${host} is ${all[0]?.address ?? 'unresolved'}, which is not public`,
        ...(all[0] ? { address: all[0].address } : {}),
      };
    ({ address, family } = ok);
  } catch (err) {
    return { ok: false, url: raw, reason: 'dns', message: (err as Error).message.split('\n')[0] ?? 'lookup failed' };
  }
  const left = deadline - Date.now();
  if (left <= 0) return { ok: false, url: raw, reason: 'timeout', message: 'timed out' };
  return new Promise<Hop>((resolve) => {
    let settled = false;
    const done = (h: Hop) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.destroy();
      resolve(h);
    };
    const lib = u.protocol === 'https:' ? https : http;
    const req = lib.request(
      u,
      {
        method: 'GET',
        // Pinned: the socket goes to the checked address whatever DNS says next.
        lookup: (_h, _o, cb) => cb(null, address, family),
        headers: { 'user-agent': 'Wget/1.21.3', accept: '*/*', connection: 'close' },
        ...(u.protocol === 'https:' ? { rejectUnauthorized: false, servername: isIP(host) ? undefined : host } : {}),
      },
      (res) => {
        const status = res.statusCode ?? 0;
        const location = res.headers.location;
        if (status >= 300 && status < 400 && location) {
          try {
            return done({ redirect: new URL(location, u).href, status });
          } catch {
            return done({ ok: false, url: raw, reason: 'http-status', status, message: 'bad redirect', address });
          }
        }
        if (status < 200 || status >= 300)
          return done({ ok: false, url: raw, reason: 'http-status', status, message: `HTTP ${status}`, address });
        const chunks: Buffer[] = [];
        let bytes = 0;
        res.on('data', (c: Buffer) => {
          bytes += c.length;
          if (bytes > opts.maxBytes)
            return done({ ok: false, url: raw, reason: 'too-large', message: `over ${opts.maxBytes} bytes`, address });
          chunks.push(c);
        });
        res.on('end', () =>
          done({
            ok: true,
            url: raw,
            status,
            contentType: String(res.headers['content-type'] ?? 'application/octet-stream').slice(0, 128),
            body: Buffer.concat(chunks),
            address,
          }),
        );
        res.on('error', (err) => done({ ok: false, url: raw, reason: 'connect', message: err.message, address }));
      },
    );
    const timer = setTimeout(
      () => done({ ok: false, url: raw, reason: 'timeout', message: 'timed out', address }),
      left,
    );
    req.on('error', (err) => done({ ok: false, url: raw, reason: 'connect', message: err.message, address }));
    req.end();
  });
}

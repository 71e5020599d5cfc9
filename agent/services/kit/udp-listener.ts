import dgram from 'node:dgram';
import { isIP } from 'node:net';
import type { Logger } from '../../../shared/node/logger';
import { describeListenError, newSessionId } from './tcp-listener';
import { socketSourceFor } from './socket-source';
import type { CapturedInteraction } from './types';

/**
 * Bounds shared by every UDP honeypot. UDP sources are trivially spoofed, so an answering decky is
 * a potential reflector: per-source and total packet budgets keep it from amplifying a flood toward
 * a victim, and the datagram size bound keeps one packet from costing more than a few KiB to parse.
 */
export const udpLimits = {
  /** Datagrams accepted per source per second (token bucket refill) and its burst. */
  perSourcePerSecond: 50,
  perSourceBurst: 200,
  /** Datagrams accepted per second over all sources. */
  totalPerSecond: 5_000,
  maxDatagramBytes: 4_096,
  /** Sources tracked at once; the least recently seen is forgotten beyond this. */
  maxTrackedSources: 4_096,
  /** A source silent this long is announced again by a fresh `connect` capture. */
  sourceIdleMs: 60_000,
} as const;

export type DatagramMeta = Readonly<{
  src: string;
  srcPort: number;
  /** Id shared by every datagram of one source until it has been idle for `sourceIdleMs`. */
  session: string;
  localPort: number;
}>;

export type UdpListenOptions = Readonly<{
  host: string;
  port: number;
  capture: (interaction: CapturedInteraction) => void;
  log: Logger;
  /** Called for each accepted datagram; `reply` answers the sender from the bound port. */
  onDatagram: (msg: Buffer, meta: DatagramMeta, reply: (data: Uint8Array) => void) => void;
  maxDatagramBytes?: number;
  perSourcePerSecond?: number;
  perSourceBurst?: number;
  /** Multicast groups to join (skipped on loopback addresses, where membership makes no sense). */
  multicastGroups?: readonly string[];
}>;

export type UdpListener = Readonly<{
  /** `69/udp` */
  bound: string;
  port: number;
  close: () => Promise<void>;
}>;

type SourceState = { tokens: number; last: number; session: string; refusedNoted: boolean };

/** True for 127.0.0.0/8 and ::1, where the loopback driver puts test and dev deckies. */
export function isLoopbackAddress(host: string): boolean {
  return host === '::1' || (isIP(host) === 4 && host.startsWith('127.'));
}

/**
 * Binds a datagram socket on host:port, rate-limits each source, records a `connect` interaction
 * the first time a source is seen (and again after it went quiet) and isolates handler failures so
 * that one bad datagram never takes the process down.
 */
export async function listenUdp(opts: UdpListenOptions): Promise<UdpListener> {
  const maxBytes = opts.maxDatagramBytes ?? udpLimits.maxDatagramBytes;
  const rate = opts.perSourcePerSecond ?? udpLimits.perSourcePerSecond;
  const burst = opts.perSourceBurst ?? udpLimits.perSourceBurst;
  // Map insertion order doubles as an LRU: a source is re-inserted whenever it sends.
  const sources = new Map<string, SourceState>();
  let totalWindowStart = Date.now();
  let totalInWindow = 0;
  let boundPort = opts.port;
  // A decky in its own namespace gets its bound socket from there (socket-source.ts).
  const source = socketSourceFor(opts.host);
  const socket = source
    ? await source.udp(opts.host, opts.port)
    : dgram.createSocket({ type: isIP(opts.host) === 6 ? 'udp6' : 'udp4', reuseAddr: false });

  const admit = (src: string, now: number): SourceState | null => {
    if (now - totalWindowStart >= 1_000) {
      totalWindowStart = now;
      totalInWindow = 0;
    }
    if (++totalInWindow > udpLimits.totalPerSecond) return null;
    let st = sources.get(src);
    if (st && now - st.last > udpLimits.sourceIdleMs) st = undefined;
    const fresh = st === undefined;
    if (!st) st = { tokens: burst, last: now, session: newSessionId(), refusedNoted: false };
    else st.tokens = Math.min(burst, st.tokens + ((now - st.last) / 1_000) * rate);
    st.last = now;
    sources.delete(src);
    sources.set(src, st);
    if (sources.size > udpLimits.maxTrackedSources) {
      const oldest = sources.keys().next().value;
      if (oldest !== undefined) sources.delete(oldest);
    }
    if (fresh) opts.capture({ src, kind: 'connect', data: { port: boundPort, proto: 'udp', session: st.session } });
    if (st.tokens < 1) {
      if (!st.refusedNoted) {
        st.refusedNoted = true;
        opts.capture({
          src,
          kind: 'refused',
          data: { port: boundPort, proto: 'udp', session: st.session, reason: 'per-source rate limit', limit: rate },
        });
      }
      return null;
    }
    st.tokens -= 1;
    st.refusedNoted = false;
    return st;
  };

  socket.on('message', (msg, rinfo) => {
    const src = rinfo.address;
    try {
      const st = admit(src, Date.now());
      if (!st) return;
      const meta: DatagramMeta = { src, srcPort: rinfo.port, session: st.session, localPort: boundPort };
      if (msg.length > maxBytes) {
        opts.capture({
          src,
          kind: 'malformed',
          data: { session: st.session, port: boundPort, reason: `datagram of ${msg.length} bytes exceeds ${maxBytes}` },
        });
        return;
      }
      const reply = (data: Uint8Array) => {
        socket.send(data, rinfo.port, rinfo.address, (err) => {
          if (err) opts.log.debug('udp send failed', { src, err });
        });
      };
      opts.onDatagram(msg, meta, reply);
    } catch (err) {
      opts.log.error('datagram handler failed', { src, port: boundPort, err });
    }
  });

  if (!source) {
    await new Promise<void>((resolve, reject) => {
      const onError = (err: NodeJS.ErrnoException) =>
        reject(new Error(describeListenError(err, opts.host, opts.port).replace(/port (\d+)/, 'port $1/udp')));
      socket.once('error', onError);
      socket.bind({ address: opts.host, port: opts.port, exclusive: true }, () => {
        socket.off('error', onError);
        resolve();
      });
    });
  }
  socket.on('error', (err) => opts.log.error('udp socket error', { port: boundPort, err }));
  boundPort = socket.address().port;
  if (!isLoopbackAddress(opts.host)) {
    for (const group of opts.multicastGroups ?? []) {
      try {
        socket.addMembership(group, opts.host);
      } catch (err) {
        // Without membership the service still answers unicast queries; worth a warning only.
        opts.log.warn('cannot join multicast group', { group, host: opts.host, err });
      }
    }
  }

  return {
    bound: `${boundPort}/udp`,
    port: boundPort,
    close: () =>
      new Promise<void>((resolve) => {
        try {
          socket.close(() => resolve());
        } catch {
          resolve();
        }
      }),
  };
}

/**
 * An extra ephemeral datagram socket on `host` (TFTP answers each transfer from its own port, as
 * RFC 1350 prescribes). The caller owns it and must close it.
 */
export async function openEphemeralUdp(host: string, log: Logger): Promise<dgram.Socket> {
  const source = socketSourceFor(host);
  if (source) {
    const bound = await source.udp(host, 0);
    bound.on('error', (err) => log.debug('ephemeral udp socket error', { err }));
    return bound;
  }
  const socket = dgram.createSocket(isIP(host) === 6 ? 'udp6' : 'udp4');
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind({ address: host, port: 0 }, () => {
      socket.off('error', reject);
      resolve();
    });
  });
  socket.on('error', (err) => log.debug('ephemeral udp socket error', { err }));
  return socket;
}

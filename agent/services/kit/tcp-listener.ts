import net from 'node:net';
import { randomBytes } from 'node:crypto';
import type { Logger } from '../../../shared/node/logger';
import { socketSourceFor } from './socket-source';
import type { CapturedInteraction } from './types';

/**
 * Connection bounds shared by every TCP honeypot. A single source must not be able to exhaust the
 * decky process (file descriptors, memory), yet a scanner's burst of parallel probes must still be
 * answered, hence a per-source cap well above what nmap opens at once, and far below the total.
 */
export const connectionLimits = { perSource: 32, total: 1024 } as const;

/**
 * The key a source is counted under: its IPv4 address, or its IPv6 /64, since anyone routed a
 * /64 can spread a flood over 2^64 addresses.
 */
export function sourceKey(src: string): string {
  if (!src.includes(':')) return src;
  const [head = '', tail = ''] = src.split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = src.includes('::')
    ? [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right]
    : left;
  return `${groups
    .slice(0, 4)
    .map((g) => g.toLowerCase().replace(/^0+(?=.)/, ''))
    .join(':')}::/64`;
}

export type ConnectionMeta = Readonly<{
  src: string;
  srcPort: number;
  /** Short random id tying together the events of one connection. */
  session: string;
  localPort: number;
}>;

export type TcpListenOptions = Readonly<{
  host: string;
  port: number;
  capture: (interaction: CapturedInteraction) => void;
  log: Logger;
  /** Called for each accepted socket; the listener already attached an 'error' handler. */
  onConnection?: (socket: net.Socket, meta: ConnectionMeta) => void;
  /**
   * A server that handles sockets itself (node:http). The caps and capture still apply: sockets
   * over the limits are destroyed right after the server has seen them, before any request.
   */
  server?: net.Server;
  perSource?: number;
  total?: number;
}>;

export type TcpListener = Readonly<{
  /** `22/tcp` */
  bound: string;
  port: number;
  close: () => Promise<void>;
}>;

/** `::ffff:10.0.0.5` → `10.0.0.5`, so events carry the address an analyst expects. */
export function normaliseAddress(address: string | undefined): string {
  if (!address) return 'unknown';
  return address.startsWith('::ffff:') ? address.slice(7) : address;
}

let sessionPool = Buffer.alloc(0);
let sessionPoolAt = 0;

export function newSessionId(): string {
  // One randomBytes call per connection was ~5% of a busy decky's CPU; slices of a pooled block
  // are the same CSPRNG output.
  if (sessionPoolAt + 6 > sessionPool.length) {
    sessionPool = randomBytes(6 * 512);
    sessionPoolAt = 0;
  }
  return sessionPool.toString('hex', sessionPoolAt, (sessionPoolAt += 6));
}

/** One-line reason for a failed bind, worded for the operator ("port 22 on 127.0.1.5 is in use"). */
export function describeListenError(err: NodeJS.ErrnoException, host: string, port: number): string {
  switch (err.code) {
    case 'EADDRINUSE':
      return `port ${port} on ${host} is in use`;
    case 'EADDRNOTAVAIL':
      return `address ${host} is not configured on this host (cannot bind port ${port})`;
    case 'EACCES':
      return `port ${port} on ${host}: permission denied (needs root or CAP_NET_BIND_SERVICE)`;
    default:
      return `cannot listen on ${host}:${port}: ${err.message}`;
  }
}

/**
 * Listens on host:port, enforces the connection caps, records a `connect` interaction for every
 * accepted socket and isolates handler failures so that one bad connection never takes the
 * process down.
 */
export async function listenTcp(opts: TcpListenOptions): Promise<TcpListener> {
  const perSource = opts.perSource ?? connectionLimits.perSource;
  const total = opts.total ?? connectionLimits.total;
  // Per source key, its sockets oldest first: the oldest of the heaviest source is the one evicted.
  const bySource = new Map<string, Set<net.Socket>>();
  // Sources already reported as refused during their current burst: one event per burst, not per socket.
  const refusedNoted = new Set<string>();
  const sockets = new Set<net.Socket>();
  // The real port once bound (differs from opts.port when a test asks for port 0).
  let boundPort = opts.port;

  const server = opts.server ?? net.createServer();
  const release = (socket: net.Socket, key: string): void => {
    if (!sockets.delete(socket)) return;
    const mine = bySource.get(key);
    mine?.delete(socket);
    if (mine?.size === 0) {
      bySource.delete(key);
      refusedNoted.delete(key);
    }
  };
  const noteRefused = (src: string, key: string, reason: string, limit: number): void => {
    if (refusedNoted.has(key)) return;
    refusedNoted.add(key);
    opts.capture({ src, kind: 'refused', data: { port: boundPort, reason, limit } });
  };
  /** The source holding the most sockets, if it holds more than `than`. */
  const heaviest = (than: number): [string, Set<net.Socket>] | null => {
    let best: [string, Set<net.Socket>] | null = null;
    for (const entry of bySource) if (entry[1].size > (best?.[1].size ?? than)) best = entry;
    return best;
  };

  server.on('connection', (socket: net.Socket) => {
    const src = normaliseAddress(socket.remoteAddress);
    const key = sourceKey(src);
    // Errors (ECONNRESET from a scanner) are routine; without a listener they would be thrown.
    socket.on('error', (err) => opts.log.debug('socket error', { src, err }));
    const held = bySource.get(key)?.size ?? 0;
    if (held >= perSource) {
      noteRefused(src, key, 'per-source limit', perSource);
      return void socket.destroy();
    }
    if (sockets.size >= total) {
      // Full: a flood spread over many addresses must not blind the port for everyone else, so a
      // source holding more than the newcomer would gives up its oldest connection.
      const victim = heaviest(held + 1);
      if (!victim) {
        noteRefused(src, key, 'total limit', total);
        return void socket.destroy();
      }
      const oldest = victim[1].values().next().value!;
      noteRefused(normaliseAddress(oldest.remoteAddress), victim[0], 'evicted at the total limit', total);
      release(oldest, victim[0]);
      oldest.destroy();
    }
    const mine = bySource.get(key) ?? new Set<net.Socket>();
    bySource.set(key, mine.add(socket));
    sockets.add(socket);
    socket.once('close', () => release(socket, key));
    const meta: ConnectionMeta = {
      src,
      srcPort: socket.remotePort ?? 0,
      session: newSessionId(),
      localPort: boundPort,
    };
    try {
      opts.capture({ src, kind: 'connect', data: { port: boundPort, srcPort: meta.srcPort, session: meta.session } });
      opts.onConnection?.(socket, meta);
    } catch (err) {
      opts.log.error('connection handler failed', { src, port: boundPort, err });
      socket.destroy();
    }
  });

  // A decky in its own namespace gets its listening socket from there (socket-source.ts).
  const source = socketSourceFor(opts.host);
  const prebound = source ? await source.tcp(opts.host, opts.port) : undefined;
  await new Promise<void>((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => reject(new Error(describeListenError(err, opts.host, opts.port)));
    server.once('error', onError);
    const target = prebound ?? { host: opts.host, port: opts.port, exclusive: true };
    server.listen(target, () => {
      server.off('error', onError);
      resolve();
    });
  });
  server.on('error', (err) => opts.log.error('listener error', { port: opts.port, err }));
  const address = server.address();
  boundPort = typeof address === 'object' && address ? address.port : opts.port;

  return {
    bound: `${boundPort}/tcp`,
    port: boundPort,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

import net from 'node:net';
import { randomBytes } from 'node:crypto';
import type { Logger } from '../../../shared/node/logger';
import { socketSourceFor } from './socket-source';
import type { CapturedInteraction } from './types';

/**
 * Connection bounds shared by every TCP honeypot. A single source must not be able to exhaust the
 * decky process (file descriptors, memory), yet a scanner's burst of parallel probes must still be
 * answered, hence a per-source cap well above what nmap opens at once.
 */
export const connectionLimits = { perSource: 32, total: 1024 } as const;

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

export function newSessionId(): string {
  return randomBytes(6).toString('hex');
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
  const bySource = new Map<string, number>();
  // Sources already reported as refused during their current burst: one event per burst, not per socket.
  const refusedNoted = new Set<string>();
  const sockets = new Set<net.Socket>();
  // The real port once bound (differs from opts.port when a test asks for port 0).
  let boundPort = opts.port;

  const server = opts.server ?? net.createServer();
  server.on('connection', (socket: net.Socket) => {
    const src = normaliseAddress(socket.remoteAddress);
    // Errors (ECONNRESET from a scanner) are routine; without a listener they would be thrown.
    socket.on('error', (err) => opts.log.debug('socket error', { src, err }));
    const held = bySource.get(src) ?? 0;
    if (held >= perSource || sockets.size >= total) {
      if (!refusedNoted.has(src)) {
        refusedNoted.add(src);
        opts.capture({
          src,
          kind: 'refused',
          data: {
            port: boundPort,
            reason: held >= perSource ? 'per-source limit' : 'total limit',
            limit: held >= perSource ? perSource : total,
          },
        });
      }
      socket.destroy();
      return;
    }
    bySource.set(src, held + 1);
    sockets.add(socket);
    socket.once('close', () => {
      sockets.delete(socket);
      const left = (bySource.get(src) ?? 1) - 1;
      if (left <= 0) {
        bySource.delete(src);
        refusedNoted.delete(src);
      } else bySource.set(src, left);
    });
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

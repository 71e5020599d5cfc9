import { createServer, type Server } from 'node:https';
import type { IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { AppError } from '../../../shared/errors';
import type { Logger } from '../../../shared/node/logger';
import { serveRoutes } from '../../../shared/node/route-server';
import { peerIdentity, serverTlsOptions, type PeerIdentity } from '../../../shared/node/tls';
import type { RouteHandlers, RouteInput, RouteOutput } from '../../../shared/protocol/route';
import { swarmApi, type SwarmApi } from '../../../shared/protocol/swarm-api';
import type { CertificateAuthority } from '../ca';
import type { Enrollment } from '../enrollment';
import type { HostsRepo } from '../store/hosts-repo';
import { applyConnectionBounds, serverTimeoutOptions } from '../../../shared/node/connection-bounds';
import { closeServer, listenOn } from '../../../shared/node/server-lifecycle';
import { createRateLimiter } from '../console-api/rate-limiter';

/** Event batches of up to 5000 events with their data; far above what a heartbeat needs. */
export const SWARM_BODY_LIMIT = 16 * 1024 * 1024;

/**
 * Bounds of the part anyone can reach. Enroll carries a CSR of at most 16 KiB, so 32 KiB is ample;
 * everything else needs a worker certificate, but the TLS handshake and the headers come first.
 */
export const swarmBounds = {
  enrollBodyBytes: 32 * 1024,
  maxConnections: 2048,
  maxConnectionsPerSource: 128,
  handshakeTimeoutMs: 10_000,
  headersTimeoutMs: 60_000,
  requestTimeoutMs: 60_000,
  /** Enroll attempts per source address per minute (a join token is guessed at this pace at best). */
  enrollPerMinute: 20,
  /**
   * Idle worker connections the keep-alive aims to hold. An idle mTLS connection costs the master
   * ~87 KB (OpenSSL keeps its record buffers, Node cannot release them), so 10,000 kept-alive
   * workers were 1.3 GB; 2,000 are ~175 MB.
   */
  keptAliveConnections: 2_000,
  /**
   * The keep-alive beyond that: under undici's 2 s margin, so an agent closes its connection after
   * each request instead of leaving it idle, and the listener closes any other client's after 1 s.
   */
  briefKeepAliveMs: 1_000,
} as const;

/**
 * The idle keep-alive for a fleet of `hosts` beating every `intervalMs`. Up to
 * `keptAliveConnections` hosts every worker keeps its connection between beats (2 × interval + 5 s:
 * a beat costs no handshake). A larger fleet would hold one idle connection per host, and any
 * keep-alive shorter than the interval makes every beat reconnect anyway while still holding
 * connections (and promoting their objects to the old heap), so its workers connect per request
 * (`briefKeepAliveMs`) and resume their TLS session: ~0.9 ms of master CPU instead of ~1.6 ms for
 * a full handshake, ~0.3 of a core at 10,000 workers every 30 s.
 */
export function swarmKeepAliveMs(hosts: number, intervalMs: number): number {
  return hosts <= swarmBounds.keptAliveConnections ? 2 * intervalMs + 5_000 : swarmBounds.briefKeepAliveMs;
}

type SwarmCtx =
  | Readonly<{ worker: PeerIdentity & { hostUuid: string }; remoteAddress: string | undefined }>
  | Readonly<{ worker: null; remoteAddress: string | undefined }>;

/** The routes a worker calls with its certificate, derived from the route table: the host comes from that certificate. */
type OpenRoute = 'caCert' | 'enroll';
type WorkerRoute = Exclude<keyof SwarmApi, OpenRoute>;
export type SwarmHandlers = Readonly<{
  [K in WorkerRoute]: (hostUuid: string, body: RouteInput<SwarmApi[K]>) => Promise<RouteOutput<SwarmApi[K]>>;
}>;

export type SwarmListenerOptions = Readonly<{
  host: string;
  port: number;
  ca: CertificateAuthority;
  /** Who is enrolled: a worker is served only while its certificate is the one on record, unrevoked. */
  hosts: Pick<HostsRepo, 'get' | 'isUsable' | 'count'>;
  enrollment: Enrollment;
  handlers: SwarmHandlers;
  log: Logger;
  /** Names workers dial the listener by (DECNET_SWARM_ADVERTISE); loopback names are always added. */
  advertise?: readonly string[];
  /** The workers' heartbeat interval: the idle keep-alive follows it and the fleet's size (`swarmKeepAliveMs`). */
  heartbeatIntervalMs?: number;
  /** Enroll attempts per source per minute; default `swarmBounds.enrollPerMinute` (the enrollment benchmark raises it). */
  enrollPerMinute?: number;
}>;

export type SwarmListener = Readonly<{
  start(): Promise<void>;
  stop(): Promise<void>;
  address(): { host: string; port: number };
  /** The current connection cap (fixed share + 2 per enrolled host), for diagnostics and tests. */
  maxConnections(): number;
}>;

/** Routes open to anyone: the CA certificate is public and enroll is authorised by its token. */
const openRoutes = new Set<keyof SwarmApi>(['caCert', 'enroll'] satisfies OpenRoute[]);

/**
 * The master's swarm listener. TLS asks every client for a certificate but admits those without one,
 * because enrollment happens before the worker has any; every other route then demands a worker
 * certificate from our CA whose fingerprint is enrolled and not revoked.
 */
export function createSwarmListener(opts: SwarmListenerOptions): SwarmListener {
  const log = opts.log.child({ component: 'swarm-listener' });
  let server: Server | null = null;
  // Workers keep their connection open between heartbeats; parse each certificate once per socket.
  // Enrollment and revocation are still checked on every request below.
  const peers = new WeakMap<TLSSocket, PeerIdentity | null>();
  const peerOf = (socket: TLSSocket): PeerIdentity | null => {
    if (!peers.has(socket)) peers.set(socket, peerIdentity(socket));
    return peers.get(socket) ?? null;
  };

  const enrollLimiter = createRateLimiter({
    limit: opts.enrollPerMinute ?? swarmBounds.enrollPerMinute,
    windowMs: 60_000,
    now: () => Date.now(),
  });

  const authorize = (req: IncomingMessage, routeName: keyof SwarmApi): SwarmCtx => {
    const socket = req.socket as TLSSocket;
    const remoteAddress = socket.remoteAddress;
    if (openRoutes.has(routeName)) return { worker: null, remoteAddress };
    const peer = peerOf(socket);
    const path = swarmApi[routeName].path;
    if (!peer) throw new AppError('FORBIDDEN', `${path} requires a worker client certificate`);
    if (!socket.authorized) {
      throw new AppError(
        'FORBIDDEN',
        `client certificate was refused: ${String(socket.authorizationError ?? 'not issued by this DECNET CA')}`,
      );
    }
    if (peer.role !== 'worker' || !peer.hostUuid)
      throw new AppError('FORBIDDEN', `certificate role ${peer.role ?? 'none'} may not call ${path}`);
    const host = opts.hosts.get(peer.hostUuid);
    if (!host || !opts.hosts.isUsable(host) || host.fingerprint !== peer.fingerprint) {
      throw new AppError('FORBIDDEN', `certificate ${peer.fingerprint.slice(0, 16)}… is not enrolled or was revoked`);
    }
    return { worker: { ...peer, hostUuid: peer.hostUuid }, remoteAddress };
  };

  const workerOf = (ctx: SwarmCtx, bodyHost?: string): string => {
    if (!ctx.worker) throw new AppError('FORBIDDEN', 'worker certificate required');
    if (bodyHost !== undefined && bodyHost !== ctx.worker.hostUuid) {
      throw new AppError('FORBIDDEN', `heartbeat names host ${bodyHost} but certificate is for ${ctx.worker.hostUuid}`);
    }
    return ctx.worker.hostUuid;
  };

  // A worker may keep its connection open between beats (swarmKeepAliveMs) and open a second one
  // for an upload: the cap grows with the fleet, and the fixed share stays for strangers (enrollment, reconnect churn, scans). A fixed
  // 2,048 dropped most of a 10,000-worker fleet's beats (bench/master.bench.ts, design §10).
  const connectionCap = () => swarmBounds.maxConnections + 2 * opts.hosts.count();
  let lastDropWarning = 0;
  let tuneKeepAlive = () => {};

  const handlers: RouteHandlers<SwarmApi, SwarmCtx> = {
    caCert: () => Promise.resolve({ caPem: opts.ca.caInfo().pem }),
    enroll: (input, ctx) => {
      const taken = enrollLimiter.take(ctx.remoteAddress ?? '?');
      if (!taken.ok)
        throw new AppError(
          'RATE_LIMITED',
          `too many enrollment attempts from ${ctx.remoteAddress ?? '?'}; retry in ${Math.ceil(taken.retryAfterMs / 1000)} s`,
        );
      return opts.enrollment.enroll(input, { remoteAddress: ctx.remoteAddress }).then((answer) => {
        if (server) server.maxConnections = connectionCap();
        return answer;
      });
    },
    heartbeat: (input, ctx) => {
      tuneKeepAlive();
      return opts.handlers.heartbeat(workerOf(ctx, input.hostUuid), input);
    },
    events: (input, ctx) => opts.handlers.events(workerOf(ctx), input),
    artifact: (input, ctx) => opts.handlers.artifact(workerOf(ctx), input),
  };

  return {
    async start() {
      if (server) return;
      const names = ['127.0.0.1', 'localhost', ...(opts.advertise ?? [])];
      if (!isWildcard(opts.host)) names.push(opts.host);
      const identity = await opts.ca.ensureSwarmServerCert([...new Set(names)]);
      const srv = createServer(
        {
          ...serverTlsOptions({ ...identity, requireClientCert: false }),
          ...serverTimeoutOptions(swarmBounds),
          handshakeTimeout: swarmBounds.handshakeTimeoutMs,
        },
        serveRoutes({
          table: swarmApi,
          handlers,
          authorize,
          bodyLimit: SWARM_BODY_LIMIT,
          routeBodyLimits: { enroll: swarmBounds.enrollBodyBytes },
          onError: (err, req) => {
            if (err.status >= 500 || err.code === 'FORBIDDEN' || err.code === 'UNAUTHENTICATED') {
              log.warn('swarm request refused', {
                path: req.url,
                code: err.code,
                message: err.message,
                remote: req.socket.remoteAddress,
              });
            }
          },
        }),
      );
      // One source cannot hold every slot: raw TCP connections are counted per address before TLS.
      applyConnectionBounds(srv, { ...swarmBounds, maxConnections: connectionCap() });
      srv.on('drop', () => {
        // At the cap: hosts enrolled since (an offline bundle does not pass through here) may have
        // raised it. Checked only when a connection is dropped, so it costs nothing otherwise.
        const cap = connectionCap();
        if (cap > srv.maxConnections) srv.maxConnections = cap;
        else if (Date.now() - lastDropWarning > 60_000) {
          lastDropWarning = Date.now();
          log.warn('swarm listener at its connection cap; new connections are dropped', { cap });
        }
      });
      // Node copies keepAliveTimeout into each response as its request arrives (and sends it as
      // the Keep-Alive hint workers follow), so it is retuned as a connection opens and on every
      // beat, taking effect from the next request: the fleet's size is an O(1) count.
      if (opts.heartbeatIntervalMs) {
        const intervalMs = opts.heartbeatIntervalMs;
        tuneKeepAlive = () => {
          srv.keepAliveTimeout = swarmKeepAliveMs(opts.hosts.count(), intervalMs);
        };
        tuneKeepAlive();
        srv.on('secureConnection', () => tuneKeepAlive());
        srv.headersTimeout = 2 * intervalMs + 10_000;
      }
      srv.on('tlsClientError', (err, socket) =>
        log.warn('TLS handshake refused', { error: err.message, remote: socket.remoteAddress }),
      );
      await listenOn(srv, opts.host, opts.port, 'swarm listener');
      server = srv;
      log.info('swarm listener started', this.address());
    },
    async stop() {
      const srv = server;
      if (!srv) return;
      server = null;
      await closeServer(srv);
    },
    maxConnections: () => server?.maxConnections ?? connectionCap(),
    address() {
      const a = server?.address() as AddressInfo | null | undefined;
      return { host: a?.address ?? opts.host, port: a?.port ?? opts.port };
    },
  };
}

function isWildcard(host: string): boolean {
  return host === '0.0.0.0' || host === '::' || host === '';
}

import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { AppError } from '../../shared/errors';
import { applyConnectionBounds, serverTimeoutOptions } from '../../shared/node/connection-bounds';
import type { Logger } from '../../shared/node/logger';
import { serveRoutes } from '../../shared/node/route-server';
import { closeServer, listenOn } from '../../shared/node/server-lifecycle';
import { certIdentity, peerIdentity, serverTlsOptions, type TlsIdentity } from '../../shared/node/tls';
import type { RouteHandlers } from '../../shared/protocol/route';
import { UPDATER_BODY_LIMIT, updaterApi, type UpdaterApi } from '../../shared/protocol/updater-api';
import type { SelfUpdater } from './self-update';
import type { Updater } from './updater';

/** Only the master calls, one push at a time: small caps; a push body may take a while to arrive. */
export const updaterBounds = {
  maxConnections: 64,
  maxConnectionsPerSource: 32,
  handshakeTimeoutMs: 10_000,
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 120_000,
} as const;

export type UpdaterServer = Readonly<{
  start(): Promise<void>;
  stop(): Promise<void>;
  address(): { host: string; port: number };
}>;

/**
 * The updater's HTTPS API: TLS admits only certificates of our CA, and every route requires role
 * master, as on the agent (a worker certificate, this host's included, may not push a release);
 * GET /health also admits this host's own certificate, which the launcher probes it with.
 */
export function createUpdaterServer(o: {
  identity: TlsIdentity;
  listen: Readonly<{ host: string; port: number }>;
  updater: Updater;
  /** update-self; without it (unit tests) /update-self is refused as CONFLICT. */
  self?: SelfUpdater;
  log: Logger;
}): UpdaterServer {
  const log = o.log.child({ component: 'updater-server' });
  let server: Server | null = null;
  const u = o.updater;
  const me = certIdentity(o.identity.certPem);
  const newest = () => {
    const [a, b] = [u.latest(), o.self?.latest() ?? null];
    if (!a || !b) return a ?? b;
    return Date.parse(b.startedAt) > Date.parse(a.startedAt) ? b : a;
  };

  const authorize = (req: { socket: unknown }, routeName: string): null => {
    const socket = req.socket as TLSSocket;
    const peer = peerIdentity(socket);
    if (!peer || !socket.authorized)
      throw new AppError('UNAUTHENTICATED', 'a client certificate from this DECNET CA is required');
    // This host's own certificate on /health only: the launcher's probe of a new updater.
    if (routeName === 'health' && peer.role === 'worker' && peer.fingerprint === me.fingerprint) return null;
    if (peer.role !== 'master')
      throw new AppError(
        'FORBIDDEN',
        `certificate role ${peer.role ?? 'none'} (${peer.cn ?? '?'}) may not call ${routeName}: master only`,
      );
    return null;
  };

  const handlers: RouteHandlers<UpdaterApi, null> = {
    health: async () => ({
      status: 'ok' as const,
      version: o.updater.version,
      current: await u.current(),
      previous: await u.previous(),
      job: newest(),
    }),
    releases: async () => ({ releases: await u.releases() }),
    update: async (input) => ({ job: await u.push(input) }),
    updateSelf: async (input) => {
      if (!o.self) throw new AppError('CONFLICT', 'this updater cannot update itself');
      return { job: await o.self.push(input) };
    },
    rollback: async () => ({ job: await u.rollback() }),
    job: (input) => Promise.resolve({ job: o.self?.job(input.id) ?? u.job(input.id) }),
  };

  return {
    async start() {
      if (server) return;
      const srv = createServer(
        {
          ...serverTlsOptions({ ...o.identity, requireClientCert: true }),
          ...serverTimeoutOptions(updaterBounds),
          handshakeTimeout: updaterBounds.handshakeTimeoutMs,
        },
        serveRoutes({
          table: updaterApi,
          handlers,
          authorize,
          bodyLimit: 64 * 1024,
          routeBodyLimits: { update: UPDATER_BODY_LIMIT, updateSelf: UPDATER_BODY_LIMIT },
          // Two pushes' worth at once at most: the rest get 429 instead of memory.
          bodyBudget: 2 * UPDATER_BODY_LIMIT,
          onError: (err, req) => {
            const level = err.status >= 500 || err.code === 'FORBIDDEN' ? 'warn' : 'info';
            log[level]('updater request failed', { path: req.url, code: err.code, message: err.message });
          },
        }),
      );
      applyConnectionBounds(srv, updaterBounds);
      srv.on('tlsClientError', (err, socket) =>
        log.warn('TLS handshake refused', { error: err.message, remote: socket.remoteAddress }),
      );
      await listenOn(srv, o.listen.host, o.listen.port, 'updater API');
      server = srv;
      log.info('updater API listening', this.address());
    },
    async stop() {
      const srv = server;
      if (!srv) return;
      server = null;
      await closeServer(srv);
    },
    address() {
      const a = server?.address() as AddressInfo | null | undefined;
      return { host: a?.address ?? o.listen.host, port: a?.port ?? o.listen.port };
    },
  };
}

import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { AppError } from '../shared/errors';
import type { Logger } from '../shared/node/logger';
import { serveRoutes } from '../shared/node/route-server';
import { certIdentity, peerIdentity, serverTlsOptions, type PeerIdentity, type TlsIdentity } from '../shared/node/tls';
import { AGENT_BODY_LIMIT, agentApi, type AgentApi } from '../shared/protocol/agent-api';
import type { RouteHandlers } from '../shared/protocol/route';
import { closeServer, listenOn } from '../shared/node/server-lifecycle';
import { applyConnectionBounds, serverTimeoutOptions } from '../shared/node/connection-bounds';

/**
 * Only the master gets past TLS, but anyone who reaches the port can open sockets and stall a
 * handshake or its headers. The master's pool may open many parallel calls at once (a topology
 * apply, a teardown burst), hence per-source caps well above its needs and below the total.
 */
export const agentBounds = {
  maxConnections: 512,
  maxConnectionsPerSource: 256,
  handshakeTimeoutMs: 10_000,
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 60_000,
} as const;

/**
 * The caller of an agent route: the master, as its certificate says, or (GET /health only) this
 * host's own certificate, which the updater on the same host presents to watch an update.
 */
export type PeerCtx = PeerIdentity & Readonly<{ role: 'master' | 'worker' }>;

export type AgentServerOptions = Readonly<{
  identity: TlsIdentity;
  listen: Readonly<{ host: string; port: number }>;
  handlers: RouteHandlers<AgentApi, PeerCtx>;
  log: Logger;
}>;

export type AgentServer = Readonly<{
  start(): Promise<void>;
  stop(): Promise<void>;
  address(): { host: string; port: number };
}>;

/**
 * The agent's HTTPS API. TLS admits only certificates from our CA; on top of that every route
 * requires role master, because every worker certificate is also a valid client certificate and
 * one compromised worker must not drive the others (the original's flaw, behaviour §13.3).
 */
export function createAgentServer(opts: AgentServerOptions): AgentServer {
  const log = opts.log.child({ component: 'agent-server' });
  let server: Server | null = null;
  const self = certIdentity(opts.identity.certPem);

  const authorize = (req: { socket: unknown }, routeName: string): PeerCtx => {
    const socket = req.socket as TLSSocket;
    const peer = peerIdentity(socket);
    if (!peer || !socket.authorized)
      throw new AppError('UNAUTHENTICATED', 'a client certificate from this DECNET CA is required');
    // Only this exact certificate: another worker's certificate is no more welcome here than before.
    if (routeName === 'health' && peer.role === 'worker' && peer.fingerprint === self.fingerprint)
      return { ...peer, role: 'worker' };
    if (peer.role !== 'master') {
      throw new AppError(
        'FORBIDDEN',
        `certificate role ${peer.role ?? 'none'} (${peer.cn ?? '?'}) may not call ${routeName}: master only`,
      );
    }
    return { ...peer, role: 'master' };
  };

  return {
    async start() {
      if (server) return;
      const srv = createServer(
        {
          ...serverTlsOptions({ ...opts.identity, requireClientCert: true }),
          ...serverTimeoutOptions(agentBounds),
          handshakeTimeout: agentBounds.handshakeTimeoutMs,
        },
        serveRoutes({
          table: agentApi,
          handlers: opts.handlers,
          authorize,
          bodyLimit: AGENT_BODY_LIMIT,
          onError: (err, req) => {
            const level = err.status >= 500 || err.code === 'FORBIDDEN' ? 'warn' : 'debug';
            log[level]('agent request failed', { path: req.url, code: err.code, message: err.message });
          },
        }),
      );
      applyConnectionBounds(srv, agentBounds);
      srv.on('tlsClientError', (err, socket) =>
        log.warn('TLS handshake refused', { error: err.message, remote: socket.remoteAddress }),
      );
      await listenOn(srv, opts.listen.host, opts.listen.port, 'agent API');
      server = srv;
      log.info('agent API listening', this.address());
    },
    async stop() {
      const srv = server;
      if (!srv) return;
      server = null;
      await closeServer(srv);
    },
    address() {
      const a = server?.address() as AddressInfo | null | undefined;
      return { host: a?.address ?? opts.listen.host, port: a?.port ?? opts.listen.port };
    },
  };
}

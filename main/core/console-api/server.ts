import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { commandAccess } from '../../../shared/ipc/command-access';
import { BUILTIN_ADMIN, type Accounts } from './accounts';
import type { AuditRecorder } from '../store/audit-log';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';
import { AppError, errorCodes, toAppError } from '../../../shared/errors';
import type { CommandHandlers } from '../../../shared/ipc/types';
import type { Logger } from '../../../shared/node/logger';
import { createBodyBudget, readJson, sendJson } from '../../../shared/node/route-server';
import { invokeCommand, isCommand } from '../dispatch';
import { streamEventExport } from '../attacker-events/export-stream';
import type { MasterEventBus } from '../bus';
import { passwordMatches, type Sessions } from './auth';
import type { RateLimiter } from './rate-limiter';
import { openSse } from './sse';
import { serveStatic } from './static-files';
import { closeServer, listenOn } from '../../../shared/node/server-lifecycle';
import {
  applyConnectionBounds,
  type ConnectionBounds,
  serverTimeoutOptions,
} from '../../../shared/node/connection-bounds';
import { createHostCheck } from './host-check';

const BODY_LIMIT = 4 * 1024 * 1024;
/** All RPC bodies being received at once share this (see BodyBudget). */
export const BODY_BUDGET = 32 * 1024 * 1024;
/**
 * A browser holds ~6 connections plus its event stream, the CLI one; everything behind a reverse
 * proxy shares the proxy's address, hence a per-source cap that is generous but below the total.
 */
export const consoleBounds = {
  maxConnections: 512,
  maxConnectionsPerSource: 256,
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
} as const;
const Login = z.strictObject({
  username: z.string().min(1).max(64),
  password: z.string().min(1).max(1024),
});

export type ConsoleApiOptions = Readonly<{
  host: string;
  port: number;
  handlers: CommandHandlers;
  /** Records each state-changing RPC with the session's actor (`<username>@<address>`). */
  audit?: AuditRecorder;
  /** Named accounts beside the built-in admin (login, roles); without it only admin can log in. */
  accounts?: Accounts;
  events: MasterEventBus;
  sessions: Sessions;
  adminPassword: string;
  loginLimiter: RateLimiter;
  rpcLimiter: RateLimiter;
  corsOrigins: readonly string[];
  /** Host header names served besides the bound address and, on loopback, localhost. */
  allowedHosts?: readonly string[];
  staticDir: string;
  log: Logger;
  /** consoleBounds unless a test needs seconds instead of tens of seconds. */
  bounds?: ConnectionBounds;
}>;

export type ConsoleApi = Readonly<{ url: string; port: number; close(): Promise<void> }>;

/**
 * The headless console API (DESIGN §9): login, RPC over the same handlers as IPC, SSE of the
 * contract events, and the renderer build. Errors use the registry's status and the Result envelope.
 */
export async function startConsoleApi(opts: ConsoleApiOptions): Promise<ConsoleApi> {
  const { log } = opts;
  const streams = new Set<ServerResponse>();
  const checkHost = createHostCheck(opts.host, opts.allowedHosts ?? []);
  const bodies = createBodyBudget(BODY_BUDGET);
  // A changed password or a removed account ends that account's sessions (and so its streams).
  opts.accounts?.onRevoke((username) => opts.sessions.revokeUser(username));

  const bounds = opts.bounds ?? consoleBounds;
  const server: Server = createServer(serverTimeoutOptions(bounds), (req, res) => {
    handle(req, res).catch((err: unknown) => {
      const e = toAppError(err);
      if (e.code === 'INTERNAL') log.error('console api error', { err, url: req.url });
      sendJson(res, e.status, { ok: false, error: e.toShape() });
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://console.invalid');
    const path = url.pathname;
    // Before anything else, login and the UI included: a rebound name must reach nothing.
    checkHost(req.headers.host);
    applyCors(req, res);
    res.setHeader('x-content-type-options', 'nosniff');
    if (req.method === 'OPTIONS') {
      res.writeHead(204).end();
      return;
    }
    if (!path.startsWith('/api/')) {
      if (req.method !== 'GET' && req.method !== 'HEAD')
        throw new AppError('NOT_FOUND', `no route ${req.method ?? ''} ${path}`);
      return serveStatic(opts.staticDir, path, res);
    }
    const peer = req.socket.remoteAddress ?? 'unknown';
    if (path === '/api/v1/auth/login' && req.method === 'POST') return login(req, res, peer);
    if (path === '/api/v1/auth/logout' && req.method === 'POST') return logout(req, res);
    if (path === '/api/v1/events' && req.method === 'GET') {
      // A token in the URL ends up in proxy and access logs and the browser history.
      if (url.searchParams.has('token'))
        throw new AppError('INVALID_INPUT', 'send the token in the Authorization header, never in the URL');
      const token = bearer(req);
      opts.sessions.check(token);
      const isLive = () => opts.sessions.isLive(token!);
      return void streams.add(openSse(req, res, opts.events, isLive, () => streams.delete(res)));
    }
    if (path === '/api/v1/events/export' && req.method === 'GET') {
      opts.sessions.check(bearer(req));
      limit(opts.rpcLimiter, peer, 'too many RPC calls');
      return streamEventExport(opts.handlers, url.searchParams, res, log);
    }
    const m = /^\/api\/v1\/rpc\/([A-Za-z]+\.[A-Za-z]+)$/.exec(path);
    if (m && req.method === 'POST') {
      const user = opts.sessions.check(bearer(req));
      limit(opts.rpcLimiter, peer, 'too many RPC calls');
      requireJson(req);
      const command = m[1]!;
      // The viewer role reads only; checked here, before the body is parsed or the handler runs.
      if (user.role !== 'admin' && isCommand(command) && commandAccess[command] === 'change')
        throw new AppError(
          'FORBIDDEN',
          `${user.username} has the ${user.role} role: ${command} changes state and needs admin`,
        );
      const input = await readJson(req, BODY_LIMIT, bodies);
      const audit = opts.audit ? { actor: `${user.username}@${peer}`, record: opts.audit } : undefined;
      const result = await invokeCommand(opts.handlers, command, input, log, audit);
      return sendJson(res, result.ok ? 200 : errorCodes[result.error.code].status, result);
    }
    throw new AppError('NOT_FOUND', `no route ${req.method ?? ''} ${path}`);
  }

  async function login(req: IncomingMessage, res: ServerResponse, peer: string): Promise<void> {
    limit(opts.loginLimiter, peer, 'too many login attempts');
    requireJson(req);
    const body = Login.safeParse(await readJson(req, 16 * 1024));
    if (!body.success) throw new AppError('INVALID_INPUT', 'login needs {"username":"…","password":"…"}');
    const { username, password } = body.data;
    const role =
      username === BUILTIN_ADMIN
        ? passwordMatches(password, opts.adminPassword)
          ? ('admin' as const)
          : null
        : ((await opts.accounts?.verify(username, password)) ?? null);
    if (!role) {
      log.warn('console login failed', { peer, username });
      throw new AppError('UNAUTHENTICATED', 'wrong username or password');
    }
    const { token, expiresAt } = opts.sessions.issue({ username, role });
    log.info('console login', { peer, username, role });
    sendJson(res, 200, { token, expiresAt: new Date(expiresAt).toISOString(), username, role });
  }

  function logout(req: IncomingMessage, res: ServerResponse): void {
    const token = bearer(req);
    opts.sessions.check(token);
    req.resume();
    opts.sessions.revoke(token!);
    log.info('console logout', { peer: req.socket.remoteAddress });
    sendJson(res, 200, { ok: true });
  }

  function limit(limiter: RateLimiter, key: string, what: string): void {
    const r = limiter.take(key);
    if (!r.ok)
      throw new AppError('RATE_LIMITED', `${what}; retry in ${Math.ceil(r.retryAfterMs / 1000)} s`, {
        retryAfterMs: r.retryAfterMs,
      });
  }

  function applyCors(req: IncomingMessage, res: ServerResponse): void {
    const origin = req.headers.origin;
    if (!origin || !opts.corsOrigins.includes(origin)) return;
    res.setHeader('access-control-allow-origin', origin);
    res.setHeader('vary', 'Origin');
    res.setHeader('access-control-allow-methods', 'GET, POST, OPTIONS');
    res.setHeader('access-control-allow-headers', 'authorization, content-type');
    res.setHeader('access-control-max-age', '600');
  }

  applyConnectionBounds(server, bounds);
  await listenOn(server, opts.host, opts.port, 'console API');
  const port = (server.address() as AddressInfo).port;
  const hostForUrl = opts.host.includes(':') ? `[${opts.host}]` : opts.host;
  return {
    url: `http://${hostForUrl}:${port}`,
    port,
    async close() {
      for (const s of streams) s.end();
      await closeServer(server);
    },
  };
}

function bearer(req: IncomingMessage): string | null {
  const h = req.headers.authorization;
  if (!h) return null;
  const m = /^Bearer\s+(\S+)$/i.exec(h);
  return m?.[1] ?? null;
}

/** JSON only (a form post from another origin must not reach a handler). */
function requireJson(req: IncomingMessage): void {
  const len = Number(req.headers['content-length'] ?? 0);
  const chunked = req.headers['transfer-encoding'] !== undefined;
  // The media type exactly (parameters such as charset allowed): `application/jsonfoo` is not JSON.
  const mediaType = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if ((len > 0 || chunked) && mediaType !== 'application/json') {
    throw new AppError('INVALID_INPUT', 'request body must be application/json');
  }
}

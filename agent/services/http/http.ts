import http from 'node:http';
import https from 'node:https';
import type net from 'node:net';
import { errorPage, flavourOf, loginPage } from './http-pages';
import { personaString } from '../kit/persona';
import { listenTcp, type ConnectionMeta } from '../kit/tcp-listener';
import type { RunningService, ServiceContext, ServiceModule } from '../kit/types';

/** Request bounds: a login form never needs more than a few KiB, headers stay under Apache's 8 KiB per field. */
export const httpLimits = {
  maxBodyBytes: 64 * 1024,
  maxHeaderBytes: 16 * 1024,
  headersTimeoutMs: 20_000,
  requestTimeoutMs: 30_000,
  idleMs: 60_000,
  maxRequestsPerSocket: 100,
  maxPathChars: 2048,
} as const;

/** Headers worth keeping for an analyst; the rest is noise or size. */
const keptHeaders = [
  'host',
  'user-agent',
  'referer',
  'content-type',
  'content-length',
  'cookie',
  'authorization',
  'x-forwarded-for',
  'accept',
  'accept-language',
  'accept-encoding',
  'origin',
  'connection',
];
const userField = /^(user(name)?|login|email|e-?mail|uname|usr|account|log)$/i;
const passField = /^(pass(word|wd)?|pwd|secret|pw)$/i;

function headerSubset(headers: http.IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of keptHeaders) {
    const v = headers[name];
    if (v !== undefined) out[name] = (Array.isArray(v) ? v.join(', ') : v).slice(0, 1024);
  }
  return out;
}

/** Username/password found in a form body, a JSON body or Basic auth; null when none. */
export function extractCredentials(
  body: string,
  contentType: string,
  authorization: string | undefined,
): Record<string, string> | null {
  const found: Record<string, string> = {};
  let fields: Array<[string, unknown]> = [];
  if (contentType.includes('application/x-www-form-urlencoded')) fields = [...new URLSearchParams(body).entries()];
  else if (contentType.includes('json')) {
    try {
      const parsed: unknown = JSON.parse(body);
      if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) fields = Object.entries(parsed);
    } catch {
      // not JSON after all: the raw body is still recorded
    }
  }
  for (const [k, v] of fields) {
    if (typeof v !== 'string') continue;
    if (userField.test(k) && found.username === undefined) found.username = v.slice(0, 1024);
    if (passField.test(k) && found.password === undefined) found.password = v.slice(0, 1024);
  }
  const basic = /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(authorization ?? '');
  if (basic?.[1]) {
    const decoded = Buffer.from(basic[1], 'base64').toString('utf8');
    const at = decoded.indexOf(':');
    found.basicUser = (at < 0 ? decoded : decoded.slice(0, at)).slice(0, 1024);
    if (at >= 0) found.basicPassword = decoded.slice(at + 1, at + 1025);
  }
  return Object.keys(found).length ? found : null;
}

/** Where the web persona listens; `tls` makes it the HTTPS service (same pages, same capture). */
export type HttpServeOptions = Readonly<{ catalogPort: number; tls?: Readonly<{ key: string; cert: string }> }>;

export async function serveHttp(ctx: ServiceContext, opts: HttpServeOptions): Promise<RunningService> {
  const serverName = personaString(ctx.persona, 'server', 'Apache/2.4.62 (Debian)');
  const title = personaString(ctx.persona, 'title', 'Sign in');
  const poweredBy = personaString(ctx.persona, 'poweredBy', '');
  const flavour = flavourOf(serverName);
  const port = ctx.port(opts.catalogPort);
  // Keyed by peer address and port rather than socket object: under TLS the request's socket is
  // the TLSSocket wrapping the raw one the listener saw.
  const metas = new Map<string, ConnectionMeta>();
  const peerKey = (s: net.Socket) => `${s.remoteAddress ?? ''}|${s.remotePort ?? 0}`;

  const serverOptions = {
    maxHeaderSize: httpLimits.maxHeaderBytes,
    headersTimeout: httpLimits.headersTimeoutMs,
    requestTimeout: httpLimits.requestTimeoutMs,
  };
  const server = opts.tls
    ? https.createServer({ ...serverOptions, key: opts.tls.key, cert: opts.tls.cert })
    : http.createServer(serverOptions);
  server.maxRequestsPerSocket = httpLimits.maxRequestsPerSocket;
  server.timeout = httpLimits.idleMs;

  const baseHeaders = (res: http.ServerResponse) => {
    res.setHeader('Server', serverName);
    if (poweredBy) res.setHeader('X-Powered-By', poweredBy);
  };
  const sendError = (res: http.ServerResponse, status: number, method: string, hostHeader: string | undefined) => {
    const host = (hostHeader ?? ctx.host).replace(/:\d+$/, '').slice(0, 255);
    const page = errorPage({ status, flavour, server: serverName, host, port, method });
    baseHeaders(res);
    res.writeHead(page.status, { 'Content-Type': page.contentType, 'Content-Length': Buffer.byteLength(page.body) });
    res.end(page.body);
  };

  server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
    const meta = metas.get(peerKey(req.socket));
    const src = meta?.src ?? req.socket.remoteAddress ?? 'unknown';
    const method = (req.method ?? 'GET').slice(0, 32);
    const rawPath = (req.url ?? '/').slice(0, httpLimits.maxPathChars);
    const path = rawPath.split('?')[0] ?? '/';
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = Number(req.headers['content-length'] ?? 0) > httpLimits.maxBodyBytes;

    const finish = () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const contentType = String(req.headers['content-type'] ?? '');
      const credentials =
        body || req.headers.authorization ? extractCredentials(body, contentType, req.headers.authorization) : null;
      ctx.capture({
        src,
        kind: 'request',
        data: {
          session: meta?.session ?? '',
          method,
          path: rawPath,
          httpVersion: req.httpVersion,
          userAgent: String(req.headers['user-agent'] ?? '').slice(0, 1024),
          headers: headerSubset(req.headers),
          ...(body ? { body, bodyBytes: size } : {}),
          ...(tooLarge ? { truncated: true } : {}),
          ...(credentials ? { credentials } : {}),
        },
      });
      if (tooLarge) {
        res.setHeader('Connection', 'close');
        return sendError(res, 413, method, req.headers.host);
      }
      respond(method, path, credentials !== null, req.headers.host, res);
    };

    if (tooLarge) return finish();
    req.on('data', (chunk: Buffer) => {
      if (tooLarge) return;
      const room = httpLimits.maxBodyBytes - size;
      if (chunk.length > room) {
        chunks.push(chunk.subarray(0, room));
        size += room;
        tooLarge = true;
        req.pause();
        finish();
        return;
      }
      chunks.push(chunk);
      size += chunk.length;
    });
    req.on('end', () => {
      if (!tooLarge) finish();
    });
    req.on('error', () => undefined);
  });

  const respond = (
    method: string,
    path: string,
    triedLogin: boolean,
    host: string | undefined,
    res: http.ServerResponse,
  ) => {
    const isLogin =
      path === '/' || path === '/login' || path === '/index.html' || path === '/index.php' || path === '/login.php';
    if (!isLogin) return sendError(res, 404, method, host);
    if (method !== 'GET' && method !== 'HEAD' && method !== 'POST') {
      res.setHeader('Allow', 'GET,POST,OPTIONS,HEAD');
      return sendError(res, 405, method, host);
    }
    const page = loginPage(title, method === 'POST' && triedLogin);
    baseHeaders(res);
    res.writeHead(200, {
      'Content-Type': 'text/html; charset=UTF-8',
      'Content-Length': Buffer.byteLength(page),
      'Cache-Control': 'no-store',
    });
    res.end(method === 'HEAD' ? undefined : page);
  };

  server.on('clientError', (err: NodeJS.ErrnoException, socket: net.Socket) => {
    const meta = metas.get(peerKey(socket));
    if (err.code === 'ECONNRESET' || !socket.writable) return socket.destroy();
    ctx.capture({
      src: meta?.src ?? socket.remoteAddress ?? 'unknown',
      kind: 'malformed',
      data: { session: meta?.session ?? '', reason: err.code ?? err.message.slice(0, 200) },
    });
    const status = err.code === 'HPE_HEADER_OVERFLOW' ? 431 : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
    const page = errorPage({
      status: status === 408 ? 400 : status,
      flavour,
      server: serverName,
      host: ctx.host,
      port,
      method: 'GET',
    });
    const head = `HTTP/1.1 ${page.status} ${page.status === 431 ? 'Request Header Fields Too Large' : 'Bad Request'}\r\nDate: ${new Date().toUTCString()}\r\nServer: ${serverName}\r\nContent-Length: ${Buffer.byteLength(page.body)}\r\nConnection: close\r\nContent-Type: ${page.contentType}\r\n\r\n`;
    socket.end(head + page.body);
  });

  const listener = await listenTcp({
    host: ctx.host,
    port,
    capture: ctx.capture,
    log: ctx.log,
    server,
    onConnection: (socket, meta) => {
      const key = peerKey(socket);
      metas.set(key, meta);
      socket.once('close', () => metas.delete(key));
    },
  });
  return { bound: [listener.bound], close: listener.close };
}

export const httpService: ServiceModule = { name: 'http', start: (ctx) => serveHttp(ctx, { catalogPort: 80 }) };

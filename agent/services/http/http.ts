import type tls from 'node:tls';
import http from 'node:http';
import https from 'node:https';
import type net from 'node:net';
import {
  apacheAllowFor,
  apacheDenied,
  errorAnswer,
  maxRequestsPerConnection,
  optionsAnswer,
  pageAnswer,
  rawAnswer,
  siteDirectories,
  type Answer,
  type Asker,
} from './http-answers';
import { flavourOf, loginPage } from './http-pages';
import { personaString } from '../kit/persona';
import { listenTcp, type ConnectionMeta } from '../kit/tcp-listener';
import { attachSessionCache, type SessionCacheLimits } from '../kit/tls-session-cache';
import type { RunningService, ServiceContext, ServiceModule } from '../kit/types';

/** Request bounds: a login form never needs more than a few KiB, headers stay under Apache's 8 KiB per field. */
export const httpLimits = {
  maxBodyBytes: 64 * 1024,
  maxHeaderBytes: 16 * 1024,
  headersTimeoutMs: 20_000,
  requestTimeoutMs: 30_000,
  idleMs: 60_000,
  maxPathChars: 2048,
  maxRequestLine: 8190,
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
export type HttpServeOptions = Readonly<{
  catalogPort: number;
  tls?: Readonly<
    { key: string; cert: string } & Pick<
      tls.TlsOptions,
      'ciphers' | 'honorCipherOrder' | 'secureOptions' | 'sessionTimeout'
    >
  >;
  /** A server-side session cache (resumption by session ID), as the product's TLS layer keeps one. */
  sessionCache?: SessionCacheLimits;
  /** Overrides httpLimits.headersTimeoutMs (the fidelity test matches a real server's short one). */
  headersTimeoutMs?: number;
}>;

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
    headersTimeout: opts.headersTimeoutMs ?? httpLimits.headersTimeoutMs,
    requestTimeout: httpLimits.requestTimeoutMs,
    // Node's default checks timeouts every 30 s; the real servers time out to the second.
    connectionsCheckingInterval: 1000,
    // A missing Host is answered by us with the product's own 400, not by Node's bare one.
    requireHostHeader: false,
  };
  const server = opts.tls ? https.createServer({ ...serverOptions, ...opts.tls }) : http.createServer(serverOptions);
  if (opts.tls && opts.sessionCache) attachSessionCache(server as https.Server, opts.sessionCache);
  server.maxRequestsPerSocket = maxRequestsPerConnection;
  server.timeout = httpLimits.idleMs;
  const served = new WeakMap<net.Socket, number>();
  const allow = apacheAllowFor(ctx.decky);
  const holding = new WeakMap<net.Socket, NodeJS.Timeout>();

  const asker = (socket: net.Socket, version: string, headers: http.IncomingHttpHeaders): Asker => {
    const hostHeader = String(headers.host ?? '').slice(0, 255);
    return {
      flavour,
      server: serverName,
      poweredBy,
      host: hostHeader.replace(/:\d+$/, '') || ctx.host,
      hostHeader: hostHeader || ctx.host,
      port,
      version,
      keepAlive: /(^|,)\s*keep-alive\s*(,|$)/i.test(String(headers.connection ?? '')),
      served: served.get(socket) ?? 1,
      allow,
    };
  };
  /** Sends an answer through Node's response with exactly its headers, none of Node's own. */
  const send = (res: http.ServerResponse, ans: Answer, head: boolean) => {
    res.sendDate = false;
    const named = new Set(ans.headers.map(([n]) => n.toLowerCase()));
    for (const n of ['connection', 'transfer-encoding', 'content-length']) if (!named.has(n)) res.removeHeader(n);
    res.writeHead(ans.status, ans.reason, ans.headers.flat());
    res.end(head ? undefined : ans.body);
  };

  server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
    served.set(req.socket, (served.get(req.socket) ?? 0) + 1);
    const meta = metas.get(peerKey(req.socket));
    const src = meta?.src ?? req.socket.remoteAddress ?? 'unknown';
    const method = (req.method ?? 'GET').slice(0, 32);
    const url = req.url ?? '/';
    const rawPath = url.slice(0, httpLimits.maxPathChars);
    const path = rawPath.split('?')[0] ?? '/';
    const who = asker(req.socket, req.httpVersion, req.headers);
    // llhttp also parses RTSP/1.0 (nmap's RTSPRequest is `OPTIONS / RTSP/1.0`) and says 1.0 either
    // way; both products refuse it with 400. Only the bytes being parsed tell, so look at them.
    const parsing = (req.socket as net.Socket & { parser?: { getCurrentBuffer?: () => Buffer } }).parser;
    const saidRtsp = parsing?.getCurrentBuffer?.().includes(`${method} ${url} RTSP/`, 0, 'latin1') ?? false;
    const head = method === 'HEAD';
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
      // Both products refuse a request line over 8 KiB (LimitRequestLine 8190, large_client_header_buffers 8k).
      if (method.length + url.length + 10 > httpLimits.maxRequestLine)
        return send(res, errorAnswer(who, 414, ''), head);
      if (saidRtsp || (req.httpVersion === '1.1' && req.headers.host === undefined))
        return send(res, errorAnswer({ ...who, host: ctx.host }, 400, ''), head);
      if (tooLarge) return send(res, errorAnswer(who, 413, method), head);
      send(res, respond(who, method, path, credentials !== null), head);
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

  /** The answer to a well-formed request for `path`. */
  const respond = (who: Asker, method: string, path: string, triedLogin: boolean): Answer => {
    const isLogin =
      path === '/' || path === '/login' || path === '/index.html' || path === '/index.php' || path === '/login.php';
    if (siteDirectories.has(path))
      return errorAnswer(who, 301, `${opts.tls ? 'https' : 'http'}://${who.hostHeader}${path}/`);
    if (siteDirectories.has(path.replace(/\/$/, '')) || (flavour === 'apache' && apacheDenied.test(path)))
      return errorAnswer(who, 403, method);
    if (!isLogin) return errorAnswer(who, 404, method);
    if (method === 'OPTIONS' && flavour === 'apache') return optionsAnswer(who);
    if (method !== 'GET' && method !== 'HEAD' && method !== 'POST') return errorAnswer(who, 405, method);
    return pageAnswer(who, ctx.decky, loginPage(title, method === 'POST' && triedLogin));
  };

  /**
   * A request Node's parser refused, answered as the product would from the raw bytes: an unknown
   * method (Apache 501, nginx 405), an HTTP version Node does not speak (Apache serves it as 1.1,
   * nginx 505), a header timeout (Apache 408, nginx closes silently), else 400. The connection ends
   * here either way: Node's parser cannot resume on it.
   */
  const malformedAnswer = (err: NodeJS.ErrnoException & { rawPacket?: Buffer }, socket: net.Socket): Answer | null => {
    const who = asker(socket, '1.1', {});
    if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') return flavour === 'nginx' ? null : errorAnswer(who, 408, '');
    if (err.code === 'HPE_HEADER_OVERFLOW') return errorAnswer(who, 400, 'header-too-large');
    const raw = (err.rawPacket ?? Buffer.alloc(0)).toString('latin1');
    const line = /^(\S+) (\S+) HTTP\/(\d)\.(\d)\r?\n/.exec(raw);
    if (!line) return errorAnswer(who, 400, '');
    const [, method = '', target = '/', major = '1', minor = '1'] = line;
    const hostHeader = /\r?\nHost:[ \t]*([^\r\n]*)/i.exec(raw)?.[1]?.trim().slice(0, 255);
    const asked = { ...who, ...(hostHeader ? { host: hostHeader.replace(/:\d+$/, ''), hostHeader } : {}) };
    if (!http.METHODS.includes(method)) {
      if (flavour === 'nginx')
        return /^[A-Z_]+$/.test(method) ? errorAnswer(asked, 405, method) : errorAnswer(who, 400, '');
      return /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(method) ? errorAnswer(asked, 501, method) : errorAnswer(who, 400, '');
    }
    if (`${major}.${minor}` !== '1.0' && `${major}.${minor}` !== '1.1') {
      if (flavour === 'nginx') return Number(major) > 1 ? errorAnswer(who, 505, '') : errorAnswer(who, 400, '');
      return hostHeader ? respond(asked, method, target.split('?')[0] ?? '/', false) : errorAnswer(who, 400, '');
    }
    return errorAnswer(who, 400, '');
  };

  server.on('clientError', (err: NodeJS.ErrnoException & { rawPacket?: Buffer }, socket: net.Socket) => {
    const meta = metas.get(peerKey(socket));
    if (err.code === 'ECONNRESET' || !socket.writable) return socket.destroy();
    ctx.capture({
      src: meta?.src ?? socket.remoteAddress ?? 'unknown',
      kind: 'malformed',
      data: { session: meta?.session ?? '', reason: err.code ?? err.message.slice(0, 200) },
    });
    const raw = err.rawPacket ?? Buffer.alloc(0);
    if (flavour === 'apache' && err.code !== 'ERR_HTTP_REQUEST_TIMEOUT' && !raw.includes(0x0a)) {
      // Apache reads the request line up to its LF before judging it: binary probes without one
      // get silence, then a silent close at the header timeout.
      if (!holding.has(socket)) {
        const timer = setTimeout(() => socket.destroy(), opts.headersTimeoutMs ?? httpLimits.headersTimeoutMs);
        holding.set(socket, timer);
        socket.once('close', () => clearTimeout(timer));
      }
      return;
    }
    clearTimeout(holding.get(socket));
    const ans = malformedAnswer(err, socket);
    if (!ans) return socket.destroy();
    socket.end(rawAnswer(ans, false));
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

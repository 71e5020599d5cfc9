import type net from 'node:net';
import type { ConnectionMeta } from '../kit/tcp-listener';
import type { ServiceContext } from '../kit/types';

/**
 * A small, bounded HTTP/1.x server loop for the API personas (Elasticsearch, kube-apiserver,
 * dockerd). node:http always adds `Connection`/`Keep-Alive` headers and fixes their order, which
 * neither Netty nor Go's net/http do; here each persona decides its exact header set.
 */
export const miniHttpLimits = {
  maxHeaderBytes: 16 * 1024,
  maxBodyBytes: 256 * 1024,
  maxRequestsPerConnection: 100,
  idleMs: 60_000,
} as const;

export type MiniRequest = Readonly<{
  method: string;
  target: string;
  path: string;
  query: URLSearchParams;
  version: string;
  /** Lower-cased names; repeated headers joined with ", ". */
  headers: Readonly<Record<string, string>>;
  body: Buffer;
  bodyTruncated: boolean;
  tls: boolean;
}>;

export type MiniResponse = Readonly<{
  /** Status-line version; Netty echoes the request's, Go always says 1.1. */
  version?: string;
  status: number;
  reason?: string;
  /** In wire order, exactly as sent. `Content-Length` is appended unless present. */
  headers: ReadonlyArray<readonly [string, string]>;
  body: string | Buffer;
  close?: boolean;
}>;

export type MiniHttpOptions = Readonly<{
  ctx: ServiceContext;
  meta: ConnectionMeta;
  tls: boolean;
  handle: (req: MiniRequest) => MiniResponse;
  /** Raw reply to unparseable input (each product words its 400 differently). */
  badRequest: string;
}>;

const reasons: Readonly<Record<number, string>> = {
  200: 'OK',
  201: 'Created',
  204: 'No Content',
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  413: 'Request Entity Too Large',
  500: 'Internal Server Error',
};

export function reasonPhrase(status: number): string {
  return reasons[status] ?? 'Unknown';
}

export type ParsedHead = { method: string; target: string; version: string; headers: Record<string, string> };

/** Request line and headers (without the blank line); null when not HTTP/1.x. */
export function parseHead(head: string): ParsedHead | null {
  const lines = head.split('\r\n');
  const m = /^([A-Z][A-Z_-]{0,31}) (\S{1,8192}) HTTP\/(1\.[01])$/.exec(lines[0] ?? '');
  if (!m) return null;
  const headers: Record<string, string> = {};
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    if (colon <= 0 || /\s/.test(line.slice(0, colon))) return null;
    const name = line.slice(0, colon).toLowerCase();
    const value = line.slice(colon + 1).trim();
    headers[name] = name in headers ? `${headers[name]}, ${value}` : value;
  }
  return { method: m[1] as string, target: m[2] as string, version: m[3] as string, headers };
}

export function serializeResponse(res: MiniResponse, headOnly: boolean): Buffer {
  const body = typeof res.body === 'string' ? Buffer.from(res.body) : res.body;
  const lines = [`HTTP/${res.version ?? '1.1'} ${res.status} ${res.reason ?? reasonPhrase(res.status)}`];
  let hasLength = false;
  for (const [k, v] of res.headers) {
    if (k.toLowerCase() === 'content-length') hasLength = true;
    lines.push(`${k}: ${v}`);
  }
  if (!hasLength && res.status !== 204 && res.status !== 304) lines.push(`Content-Length: ${body.length}`);
  const head = Buffer.from(lines.join('\r\n') + '\r\n\r\n');
  return headOnly ? head : Buffer.concat([head, body]);
}

/** Decodes a complete chunked body from `buf`; null while incomplete, 'bad' on a framing error. */
export function decodeChunked(
  buf: Buffer,
  max: number,
): { body: Buffer; used: number; truncated: boolean } | null | 'bad' {
  const parts: Buffer[] = [];
  let kept = 0;
  let pos = 0;
  let truncated = false;
  for (;;) {
    const eol = buf.indexOf('\r\n', pos);
    if (eol < 0) return buf.length - pos > 64 ? 'bad' : null;
    const size = parseInt(buf.subarray(pos, eol).toString('latin1').split(';')[0] ?? '', 16);
    if (!Number.isFinite(size) || size < 0 || size > 16 * 1024 * 1024) return 'bad';
    pos = eol + 2;
    if (size === 0) {
      const end = buf.indexOf('\r\n\r\n', pos - 2);
      if (end < 0) return null;
      return { body: Buffer.concat(parts), used: end + 4, truncated };
    }
    if (buf.length < pos + size + 2) return null;
    const room = max - kept;
    if (room > 0) parts.push(buf.subarray(pos, pos + Math.min(size, room)));
    if (size > room) truncated = true;
    kept += Math.min(size, Math.max(room, 0));
    pos += size + 2;
  }
}

export function serveMiniHttp(socket: net.Socket, opts: MiniHttpOptions): void {
  const { ctx, meta } = opts;
  let buf: Buffer = Buffer.alloc(0);
  let served = 0;
  let done = false;

  const malformed = (reason: string) => {
    if (done) return;
    done = true;
    ctx.capture({ src: meta.src, kind: 'malformed', data: { session: meta.session, port: meta.localPort, reason } });
    socket.end(opts.badRequest);
    setTimeout(() => socket.destroy(), 5_000).unref();
  };

  const pump = () => {
    while (!done) {
      const headEnd = buf.indexOf('\r\n\r\n');
      if (headEnd < 0) {
        if (buf.length > miniHttpLimits.maxHeaderBytes) malformed('request head too large');
        else if (buf.length > 0 && !/^[A-Z]/.test(String.fromCharCode(buf[0] ?? 0))) malformed('not an HTTP request');
        return;
      }
      if (headEnd > miniHttpLimits.maxHeaderBytes) return malformed('request head too large');
      const head = parseHead(buf.subarray(0, headEnd).toString('latin1'));
      if (!head) return malformed('bad request line or header');
      let body: Buffer = Buffer.alloc(0);
      let used = headEnd + 4;
      let truncated = false;
      if (/chunked/i.test(head.headers['transfer-encoding'] ?? '')) {
        const decoded = decodeChunked(buf.subarray(used), miniHttpLimits.maxBodyBytes);
        if (decoded === 'bad') return malformed('bad chunked body');
        if (decoded === null) {
          if (buf.length > miniHttpLimits.maxHeaderBytes + miniHttpLimits.maxBodyBytes * 2)
            return malformed('chunked body too large');
          return;
        }
        body = decoded.body;
        truncated = decoded.truncated;
        used += decoded.used;
      } else {
        const lenText = head.headers['content-length'] ?? '0';
        if (!/^\d{1,12}$/.test(lenText)) return malformed('bad content-length');
        const len = Number(lenText);
        if (len > miniHttpLimits.maxBodyBytes) return malformed(`body of ${len} bytes over the limit`);
        if (buf.length < used + len) return;
        body = buf.subarray(used, used + len);
        used += len;
      }
      buf = buf.subarray(used);
      served += 1;
      const target = head.target;
      const q = target.indexOf('?');
      const req: MiniRequest = {
        method: head.method,
        target,
        path: q < 0 ? target : target.slice(0, q),
        query: new URLSearchParams(q < 0 ? '' : target.slice(q + 1)),
        version: head.version,
        headers: head.headers,
        body: Buffer.from(body),
        bodyTruncated: truncated,
        tls: opts.tls,
      };
      let res: MiniResponse;
      try {
        res = opts.handle(req);
      } catch (err) {
        ctx.log.error('api handler failed', { service: ctx.service, err });
        return malformed('handler failure');
      }
      const connection = (head.headers.connection ?? '').toLowerCase();
      const close =
        res.close ||
        served >= miniHttpLimits.maxRequestsPerConnection ||
        connection.includes('close') ||
        (head.version === '1.0' && !connection.includes('keep-alive'));
      if (socket.writable) socket.write(serializeResponse(res, head.method === 'HEAD'));
      if (close) {
        done = true;
        socket.end();
        setTimeout(() => socket.destroy(), 5_000).unref();
        return;
      }
    }
  };

  socket.setTimeout(miniHttpLimits.idleMs, () => socket.destroy());
  socket.on('data', (chunk: Buffer) => {
    if (done) return;
    buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
    pump();
  });
}

/** Keeps the request fields an analyst needs, bounded. */
export function requestCapture(req: MiniRequest): Record<string, unknown> {
  const keep = ['host', 'user-agent', 'content-type', 'authorization', 'x-forwarded-for', 'accept', 'connection'];
  const headers: Record<string, string> = {};
  for (const k of keep) if (req.headers[k] !== undefined) headers[k] = req.headers[k].slice(0, 1024);
  return {
    method: req.method,
    path: req.target.slice(0, 2048),
    httpVersion: req.version,
    userAgent: (req.headers['user-agent'] ?? '').slice(0, 1024),
    headers,
    ...(req.body.length ? { body: req.body.toString('utf8').slice(0, 64 * 1024), bodyBytes: req.body.length } : {}),
    ...(req.bodyTruncated ? { truncated: true } : {}),
    ...(req.tls ? { tls: true } : {}),
  };
}

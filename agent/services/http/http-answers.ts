import type { DeckyConfig } from '../../../shared/domain/decky';
import { deckyInt } from '../kit/decky-seed';
import { errorPage, reasonOf, type ServerFlavour } from './http-pages';

/**
 * Whole HTTP answers (status, reason, every header in the product's own order and casing, body),
 * composed the way Debian's apache2 2.4 and nginx compose them. Measured side by side with the real
 * servers by tests/integration/fidelity/http.test.ts; Node's own header logic is bypassed because its
 * order (Date last, `Connection: keep-alive` + `Keep-Alive: timeout=5`) is a tell.
 */
export type Answer = Readonly<{
  status: number;
  reason: string;
  headers: ReadonlyArray<readonly [string, string]>;
  body: string;
  /** The product closes the connection after this answer. */
  close: boolean;
}>;

/** Who is asked and how: the persona and what the request said about its connection. */
export type Asker = Readonly<{
  flavour: ServerFlavour;
  server: string;
  poweredBy: string;
  /** Host for page footers (no port) and for Location (as the client sent it). */
  host: string;
  hostHeader: string;
  port: number;
  version: string;
  /** The client sent `Connection: keep-alive`. */
  keepAlive: boolean;
  /** Answers on this connection so far, this one included. */
  served: number;
  /** Apache's Allow list (its order is its method hash's, fixed per server start). */
  allow: string;
}>;

/** Apache's MaxKeepAliveRequests and nginx's keepalive_requests defaults. */
export const maxRequestsPerConnection = 100;
/** Statuses after which each product drops the connection whatever the client asked (measured). */
const closing: Readonly<Record<ServerFlavour, ReadonlySet<number>>> = {
  apache: new Set([400, 408, 413, 414, 501]),
  nginx: new Set([400, 408, 413, 414, 505]),
};

/**
 * Apache lists Allow from a hash table seeded at start, so one server keeps one order and two
 * servers differ (measured: "POST,OPTIONS,HEAD,GET" and "GET,POST,OPTIONS,HEAD"): one per decky.
 */
export function apacheAllowFor(decky: DeckyConfig): string {
  const left = ['GET', 'POST', 'OPTIONS', 'HEAD'];
  let pick = deckyInt(decky, 'http-allow-order', 0, 23);
  const out: string[] = [];
  while (left.length) {
    out.push(left.splice(pick % left.length, 1)[0]!);
    pick = Math.floor(pick / (left.length + 1));
  }
  return out.join(',');
}

function connection(a: Asker, status: number): { headers: Array<[string, string]>; close: boolean } {
  const close =
    closing[a.flavour].has(status) || (a.version !== '1.1' && !a.keepAlive) || a.served >= maxRequestsPerConnection;
  if (a.flavour === 'nginx') return { headers: [['Connection', close ? 'close' : 'keep-alive']], close };
  if (close) return { headers: [['Connection', 'close']], close };
  // Apache names its keep-alive terms only to a client that asked for them.
  if (!a.keepAlive) return { headers: [], close };
  const left = String(maxRequestsPerConnection - a.served + 1);
  return {
    headers: [
      ['Keep-Alive', `timeout=5, max=${left}`],
      ['Connection', 'Keep-Alive'],
    ],
    close,
  };
}

const httpDate = (d: Date) => d.toUTCString();

/** An error answer; `detail` is the method (405/413/501), the Location (301) or a 400 variant. */
export function errorAnswer(a: Asker, status: number, detail: string): Answer {
  const page = errorPage({ status, flavour: a.flavour, server: a.server, host: a.host, port: a.port, detail });
  const conn = connection(a, status);
  const length = String(Buffer.byteLength(page.body));
  const date = httpDate(new Date());
  const headers: Array<[string, string]> =
    a.flavour === 'nginx'
      ? [
          ['Server', a.server],
          ['Date', date],
          ['Content-Type', page.contentType],
          ['Content-Length', length],
          ...(status === 301 ? [['Location', detail] as [string, string]] : []),
          ...conn.headers,
        ]
      : [
          ['Date', date],
          ['Server', a.server],
          ...(status === 301 ? [['Location', detail] as [string, string]] : []),
          ...(status === 405 || status === 501 ? [['Allow', a.allow] as [string, string]] : []),
          // Apache refuses an oversized body before it sizes its own answer: no Content-Length.
          ...(status === 413 ? [] : [['Content-Length', length] as [string, string]]),
          ...conn.headers,
          ['Content-Type', page.contentType],
        ];
  return { status, reason: reasonOf(a.flavour, status), headers, body: page.body, close: conn.close };
}

/**
 * The login page served as a static index.html would be: a per-decky modification time (once, as a
 * deployed file has), and ETag in the product's format — Apache "<size>-<mtime µs>" (FileETag MTime
 * Size), nginx "<mtime s>-<size>", both hex.
 */
export function pageAnswer(a: Asker, decky: DeckyConfig, body: string): Answer {
  const size = Buffer.byteLength(body);
  // Somewhere in 2024, like a page deployed a while ago.
  const mtimeS = deckyInt(decky, 'http-index-mtime', 1_704_067_200, 1_735_603_200);
  const micros = deckyInt(decky, 'http-index-mtime-us', 0, 999_999);
  const lastModified = httpDate(new Date(mtimeS * 1000));
  const conn = connection(a, 200);
  const date = httpDate(new Date());
  const powered: Array<[string, string]> = a.poweredBy ? [['X-Powered-By', a.poweredBy]] : [];
  const headers: Array<[string, string]> =
    a.flavour === 'nginx'
      ? [
          ['Server', a.server],
          ['Date', date],
          ['Content-Type', 'text/html'],
          ['Content-Length', String(size)],
          ['Last-Modified', lastModified],
          ...conn.headers,
          ...powered,
          ['ETag', `"${mtimeS.toString(16)}-${size.toString(16)}"`],
          ['Accept-Ranges', 'bytes'],
        ]
      : [
          ['Date', date],
          ['Server', a.server],
          ...powered,
          ['Last-Modified', lastModified],
          ['ETag', `"${size.toString(16)}-${(mtimeS * 1_000_000 + micros).toString(16)}"`],
          ['Accept-Ranges', 'bytes'],
          ['Content-Length', String(size)],
          // mod_deflate (enabled on Debian) marks every text/html answer, compressed or not.
          ['Vary', 'Accept-Encoding'],
          ...conn.headers,
          ['Content-Type', 'text/html'],
        ];
  return { status: 200, reason: 'OK', headers, body, close: conn.close };
}

/** Apache's answer to OPTIONS on a page it serves: the Allow list and no body (nginx says 405). */
export function optionsAnswer(a: Asker): Answer {
  const conn = connection(a, 200);
  const headers: Array<[string, string]> = [
    ['Date', httpDate(new Date())],
    ['Server', a.server],
    ['Allow', a.allow],
    ['Content-Length', '0'],
    ...conn.headers,
    ['Content-Type', 'text/html'],
  ];
  return { status: 200, reason: 'OK', headers, body: '', close: conn.close };
}

/** The answer as bytes on the wire, for sockets Node's parser has already given up on. */
export function rawAnswer(ans: Answer, head: boolean): string {
  const lines = ans.headers.map(([n, v]) => `${n}: ${v}\r\n`).join('');
  return `HTTP/1.1 ${ans.status} ${ans.reason}\r\n${lines}\r\n${head ? '' : ans.body}`;
}

/** Paths a decky pretends are directories of its site (301 without the slash, 403 with it). */
export const siteDirectories: ReadonlySet<string> = new Set(['/images', '/css', '/js']);
/** Apache's stock `<FilesMatch "^\.ht"> Require all denied`. */
export const apacheDenied = /(^|\/)\.ht[^/]*$/;

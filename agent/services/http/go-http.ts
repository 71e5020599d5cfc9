import type { MiniResponse } from './mini-http';

/**
 * Responses shaped like Go's net/http server (dockerd, kube-apiserver): handler headers sorted by
 * canonical name, then the server's own Content-Type (when sniffed), Date and Content-Length.
 */
export function goResponse(
  status: number,
  headers: Readonly<Record<string, string>>,
  body: string,
  opts: { sniffedType?: string; close?: boolean } = {},
): MiniResponse {
  const sorted = Object.entries(headers).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const out: Array<[string, string]> = [...sorted];
  if (opts.sniffedType && !('Content-Type' in headers)) out.push(['Content-Type', opts.sniffedType]);
  out.push(['Date', new Date().toUTCString()]);
  if (!('Content-Length' in headers) && status !== 204 && status !== 101)
    out.push(['Content-Length', String(Buffer.byteLength(body))]);
  return { status, headers: out, body, close: opts.close };
}

/**
 * Go writes the status line with the request's protocol: `HTTP/1.0` for a 1.0 request (nmap's
 * probes are all 1.0, and its Go signatures expect `HTTP/1.0 404 ...`), `HTTP/1.1` otherwise.
 */
export function goProto(req: Readonly<{ version: string }>, res: MiniResponse): MiniResponse {
  return { ...res, version: req.version === '1.0' ? '1.0' : '1.1' };
}

/** Go's reply to a request its parser refuses. */
export const goBadRequest =
  'HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n400 Bad Request';

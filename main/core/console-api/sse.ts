import type { IncomingMessage, ServerResponse } from 'node:http';
import type { MasterEventBus } from '../bus';

const KEEPALIVE_MS = 15_000;
/** How soon a stream notices that its session expired or was logged out. */
export const SSE_SESSION_CHECK_MS = 1000;

/**
 * Streams every contract event as `event: <name>` / `data: <json>` until the client goes away or
 * its session ends: a stream must not outlive the token that opened it (expiry or logout), so
 * `isLive` is asked before every write and every second, and a dead session ends the response.
 */
export function openSse(
  req: IncomingMessage,
  res: ServerResponse,
  events: MasterEventBus,
  isLive: () => boolean,
  onClose: () => void,
): ServerResponse {
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache, no-transform',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
  });
  res.write('retry: 3000\n: connected\n\n');
  const write = (text: string): void => {
    if (isLive()) res.write(text);
    else end();
  };
  const off = events.onAny((name, payload) => write(`event: ${name}\ndata: ${JSON.stringify(payload)}\n\n`));
  const keepalive = setInterval(() => write(': keepalive\n\n'), KEEPALIVE_MS);
  const check = setInterval(() => {
    if (!isLive()) end();
  }, SSE_SESSION_CHECK_MS);
  keepalive.unref();
  check.unref();
  let closed = false;
  const close = () => {
    if (closed) return;
    closed = true;
    off();
    clearInterval(keepalive);
    clearInterval(check);
    onClose();
  };
  // A comment the client can log; the reconnect that follows gets 401 and goes to the login screen.
  const end = () => {
    close();
    if (!res.writableEnded) res.end(': session ended\n\n');
  };
  req.once('close', close);
  res.once('close', close);
  return res;
}

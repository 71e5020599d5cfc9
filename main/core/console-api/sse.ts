import type { IncomingMessage, ServerResponse } from 'node:http';
import type { MasterEventBus } from '../bus';

const KEEPALIVE_MS = 15_000;

/** Streams every contract event as `event: <name>` / `data: <json>` until the client goes away. */
export function openSse(
  req: IncomingMessage,
  res: ServerResponse,
  events: MasterEventBus,
  onClose: () => void,
): ServerResponse {
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache, no-transform',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
  });
  res.write('retry: 3000\n: connected\n\n');
  const off = events.onAny((name, payload) => {
    res.write(`event: ${name}\ndata: ${JSON.stringify(payload)}\n\n`);
  });
  const keepalive = setInterval(() => res.write(': keepalive\n\n'), KEEPALIVE_MS);
  keepalive.unref();
  const close = () => {
    off();
    clearInterval(keepalive);
    onClose();
  };
  req.once('close', close);
  res.once('close', close);
  return res;
}

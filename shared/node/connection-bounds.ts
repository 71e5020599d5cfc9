import type { Server } from 'node:http';
import type { Socket } from 'node:net';

/** The bounds every listener of ours applies before a request reaches a handler. */
export type ConnectionBounds = Readonly<{
  maxConnections: number;
  /** Below maxConnections, so one address cannot hold every slot. */
  maxConnectionsPerSource: number;
  /** Time to receive the request headers (slowloris). */
  headersTimeoutMs: number;
  /** Time to receive the whole request, body included (not the time to answer it). */
  requestTimeoutMs: number;
}>;

/**
 * Node checks headers/request timeouts on a timer (30 s by default), so a listener built with
 * these options enforces a 10 s bound within about a second instead of within 40 s.
 */
export function serverTimeoutOptions(b: ConnectionBounds) {
  return {
    headersTimeout: b.headersTimeoutMs,
    requestTimeout: b.requestTimeoutMs,
    connectionsCheckingInterval: 1000,
  } as const;
}

/**
 * Applies the caps to a listening-to-be server (http or https): a total cap (Node drops
 * connections above it) and a per-source cap counted on the raw TCP connection, before TLS.
 * Returns a reader of the per-source table, for tests and diagnostics.
 */
export function applyConnectionBounds(server: Server, b: ConnectionBounds): () => ReadonlyMap<string, number> {
  server.maxConnections = b.maxConnections;
  server.headersTimeout = b.headersTimeoutMs;
  server.requestTimeout = b.requestTimeoutMs;
  const perSource = new Map<string, number>();
  server.on('connection', (socket: Socket) => {
    const key = socket.remoteAddress ?? '?';
    const n = (perSource.get(key) ?? 0) + 1;
    if (n > b.maxConnectionsPerSource) {
      socket.destroy();
      return;
    }
    perSource.set(key, n);
    socket.once('close', () => {
      const left = (perSource.get(key) ?? 1) - 1;
      if (left <= 0) perSource.delete(key);
      else perSource.set(key, left);
    });
  });
  return () => perSource;
}

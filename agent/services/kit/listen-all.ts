import type net from 'node:net';
import { listenTcp, type ConnectionMeta, type TcpListener } from './tcp-listener';
import type { RunningService, ServiceContext } from './types';

export type PortHandler = Readonly<{
  catalogPort: number;
  onConnection: (socket: net.Socket, meta: ConnectionMeta) => void;
}>;

/** Listens on several ports; a failure on any releases the ones already bound. */
export async function listenAll(ctx: ServiceContext, handlers: readonly PortHandler[]): Promise<RunningService> {
  const listeners: TcpListener[] = [];
  try {
    for (const h of handlers) {
      listeners.push(
        await listenTcp({
          host: ctx.host,
          port: ctx.port(h.catalogPort),
          capture: ctx.capture,
          log: ctx.log,
          onConnection: h.onConnection,
        }),
      );
    }
  } catch (err) {
    await Promise.all(listeners.map((l) => l.close()));
    throw err;
  }
  return {
    bound: listeners.map((l) => l.bound),
    close: async () => void (await Promise.all(listeners.map((l) => l.close()))),
  };
}

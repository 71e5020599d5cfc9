import type { Server } from 'node:http';
import { AppError } from '../errors';

/**
 * Starts listening and resolves once bound; a bind failure (port in use, address not on this host)
 * becomes one AppError line naming what could not listen, e.g. `agent API cannot listen on …`.
 */
export async function listenOn(server: Server, host: string, port: number, what: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  }).catch((err: unknown) => {
    const e = err as NodeJS.ErrnoException;
    const reason = e.code === 'EADDRINUSE' ? `port ${port} is in use` : e.message;
    throw new AppError('INTERNAL', `${what} cannot listen on ${host}:${port}: ${reason}`, undefined, { cause: err });
  });
}

/** Stops accepting, drops keep-alive connections (heartbeats hold them open) and waits for close. */
export async function closeServer(server: Server): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeAllConnections();
  await closed;
}

import type dgram from 'node:dgram';
import type net from 'node:net';

/**
 * Where a decky's listening sockets come from when they cannot be created by this process: a
 * decky in its own network namespace gets them from a binder started inside that namespace (a
 * socket belongs to the namespace of the thread that created it). Keyed by the decky's address,
 * which is unique within a host process; no source means "bind here" (loopback driver).
 */
export type SocketSource = Readonly<{
  tcp: (host: string, port: number) => Promise<net.Server>;
  udp: (host: string, port: number) => Promise<dgram.Socket>;
}>;

const sources = new Map<string, SocketSource>();

export function setSocketSource(host: string, source: SocketSource | undefined): void {
  if (source) sources.set(host, source);
  else sources.delete(host);
}

export function socketSourceFor(host: string): SocketSource | undefined {
  return sources.get(host);
}

import { createServer, connect, type Server, type Socket } from 'node:net';

export type ProxyMode = 'pass' | 'drop' | 'stall';

export type TcpProxy = Readonly<{
  port: number;
  url: (scheme: string) => string;
  /**
   * `drop`: every connection is reset and new ones are reset on accept (a router that rejects);
   * `stall`: bytes stop moving both ways and new connections hang, nothing is closed (a black hole);
   * `pass`: forwarding again; stalled connections resume with what they buffered, as TCP would.
   */
  setMode(mode: ProxyMode): void;
  /** Connections accepted so far, for "the agent did reconnect" checks. */
  accepted: () => number;
  close(): Promise<void>;
}>;

type Pair = { client: Socket; upstream: Socket };

/** A loopback TCP proxy in front of `target` whose link a test can cut and restore. */
export async function startTcpProxy(target: Readonly<{ host: string; port: number }>): Promise<TcpProxy> {
  let mode: ProxyMode = 'pass';
  let accepted = 0;
  const pairs = new Set<Pair>();

  const pause = (p: Pair) => {
    p.client.unpipe(p.upstream);
    p.upstream.unpipe(p.client);
    p.client.pause();
    p.upstream.pause();
  };
  const resume = (p: Pair) => {
    p.client.pipe(p.upstream);
    p.upstream.pipe(p.client);
  };

  const server: Server = createServer((client) => {
    accepted++;
    if (mode === 'drop') return void client.resetAndDestroy();
    client.pause();
    const upstream = connect(target);
    const pair: Pair = { client, upstream };
    pairs.add(pair);
    const end = () => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
    if (mode === 'pass') resume(pair);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;

  return {
    port,
    url: (scheme) => `${scheme}://127.0.0.1:${port}`,
    setMode(next) {
      mode = next;
      for (const p of [...pairs]) {
        if (next === 'drop') {
          pairs.delete(p);
          p.client.resetAndDestroy();
          p.upstream.destroy();
        } else if (next === 'stall') pause(p);
        else resume(p);
      }
    },
    accepted: () => accepted,
    async close() {
      for (const p of pairs) {
        p.client.destroy();
        p.upstream.destroy();
      }
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

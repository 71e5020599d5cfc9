import { spawn } from 'node:child_process';
import type dgram from 'node:dgram';
import type net from 'node:net';
import type { SocketSource } from '../services/kit/socket-source';
import { BinderReply, type BinderRequest } from './binder-protocol';

const BIND_TIMEOUT_MS = 10_000;

export type Binder = SocketSource & Readonly<{ close: () => void }>;

/**
 * Starts the binder inside `ns` and returns a socket source backed by it. Only a root agent can
 * enter a namespace; an `ip netns exec` failure surfaces as the first request's error.
 */
export function openBinder(ns: string, binderScript: string): Binder {
  const child = spawn('ip', ['netns', 'exec', ns, process.execPath, binderScript], {
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  });
  let stderr = '';
  child.stderr?.on('data', (b: Buffer) => (stderr = (stderr + b.toString()).slice(-500)));
  let nextId = 0;
  let gone: string | null = null;
  const pending = new Map<number, { resolve: (h: unknown) => void; reject: (e: Error) => void }>();
  const failAll = (why: string) => {
    gone = why;
    for (const p of pending.values()) p.reject(new Error(why));
    pending.clear();
  };
  child.once('error', (err) => failAll(`cannot start the namespace binder in ${ns}: ${err.message}`));
  child.once('exit', (code) =>
    failAll(`the namespace binder in ${ns} exited (code ${code})${stderr ? `: ${stderr.trim().split('\n')[0]}` : ''}`),
  );
  child.on('message', (raw, handle) => {
    const parsed = BinderReply.safeParse(raw);
    if (!parsed.success) return;
    const p = pending.get(parsed.data.id);
    if (!p) return;
    pending.delete(parsed.data.id);
    if (parsed.data.type === 'error') p.reject(new Error(parsed.data.message));
    else if (!handle) p.reject(new Error(`the namespace binder in ${ns} sent no socket`));
    else p.resolve(handle);
  });

  const request = <T>(proto: 'tcp' | 'udp', host: string, port: number): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      if (gone) return reject(new Error(gone));
      const id = nextId++;
      const timer = setTimeout(() => {
        pending.delete(id);
        reject(
          new Error(
            `the namespace binder in ${ns} did not bind ${host}:${port}/${proto} within ${BIND_TIMEOUT_MS / 1000} s`,
          ),
        );
      }, BIND_TIMEOUT_MS);
      pending.set(id, {
        resolve: (h) => {
          clearTimeout(timer);
          resolve(h as T);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      child.send({ type: 'bind', id, proto, host, port } satisfies BinderRequest, (err) => {
        if (err) pending.get(id)?.reject(new Error(`cannot reach the namespace binder in ${ns}: ${err.message}`));
      });
    });

  return {
    tcp: (host, port) => request<net.Server>('tcp', host, port),
    udp: (host, port) => request<dgram.Socket>('udp', host, port),
    close: () => {
      if (child.connected)
        child.send({ type: 'exit' } satisfies BinderRequest, () => child.connected && child.disconnect());
      else if (child.exitCode === null) child.kill();
    },
  };
}

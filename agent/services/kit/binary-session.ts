import type net from 'node:net';
import type { ConnectionMeta } from './tcp-listener';
import type { InteractionKind, ServiceContext } from './types';

/**
 * Plumbing shared by the framed binary protocols (MySQL, PostgreSQL, TDS, MongoDB, LDAP, RESP):
 * a bounded receive buffer, an idle timeout, graceful hang-up and "malformed → record and close".
 * The protocol supplies one `consume` step that parses from the front of the buffer.
 */

/** Thrown by parsers for input no real server would accept; the connection is closed. */
export class ProtocolError extends Error {
  override readonly name = 'ProtocolError';
}

export type BinaryConn = Readonly<{
  src: string;
  session: string;
  send: (data: Uint8Array | string) => void;
  /** Sends `data` (if any), then closes our side; a peer that never closes is destroyed later. */
  end: (data?: Uint8Array | string) => void;
  /** Records a `malformed` interaction and drops the connection. */
  malformed: (reason: string, extra?: Record<string, unknown>) => void;
  capture: (kind: InteractionKind, data: Record<string, unknown>) => void;
  isOpen: () => boolean;
}>;

export type BinarySessionOptions = Readonly<{
  /** Bytes allowed to wait for a complete message; more is recorded as malformed. */
  maxBufferBytes: number;
  idleMs: number;
  /** Messages per connection before the peer is cut off (brute-force loops still fit). */
  maxMessages: number;
  /** Sent when the idle timer fires (protocols that announce a timeout). */
  onIdle?: (conn: BinaryConn) => void;
}>;

/**
 * `consume` parses one message from the front of `buf` and returns how many bytes it used
 * (0: wait for more). It may throw ProtocolError (recorded as malformed) and may end the conn.
 */
export type ConsumeStep = (buf: Buffer, conn: BinaryConn) => number;

export function runBinarySession(
  ctx: ServiceContext,
  socket: net.Socket,
  meta: ConnectionMeta,
  opts: BinarySessionOptions,
  consume: ConsumeStep,
): BinaryConn {
  const { src, session } = meta;
  let pending: Buffer = Buffer.alloc(0);
  let open = true;
  let messages = 0;

  const end = (data?: Uint8Array | string) => {
    if (!open) return;
    open = false;
    if (data !== undefined && socket.writable) socket.write(data);
    socket.end();
    setTimeout(() => socket.destroy(), 5_000).unref();
  };
  const conn: BinaryConn = {
    src,
    session,
    send: (data) => {
      if (open && socket.writable) socket.write(data);
    },
    end,
    malformed: (reason, extra) => {
      if (!open) return;
      ctx.capture({ src, kind: 'malformed', data: { session, reason, ...extra } });
      open = false;
      pending = Buffer.alloc(0);
      socket.destroy();
    },
    capture: (kind, data) => ctx.capture({ src, kind, data: { session, ...data } }),
    isOpen: () => open,
  };

  socket.setTimeout(opts.idleMs, () => {
    if (opts.onIdle) opts.onIdle(conn);
    end();
  });
  socket.on('close', () => {
    open = false;
  });
  socket.on('data', (chunk: Buffer) => {
    if (!open) return;
    if (pending.length + chunk.length > opts.maxBufferBytes) {
      conn.malformed(`more than ${opts.maxBufferBytes} bytes buffered without a complete message`);
      return;
    }
    pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
    try {
      while (open && pending.length > 0) {
        const used = consume(pending, conn);
        if (used <= 0) break;
        pending = pending.subarray(used);
        messages += 1;
        if (messages > opts.maxMessages) {
          conn.malformed(`more than ${opts.maxMessages} messages on one connection`);
          return;
        }
      }
      // Keep the leftover in its own small buffer rather than pinning the whole chunk.
      if (pending.length && pending.byteOffset > 0) pending = Buffer.from(pending);
    } catch (err) {
      if (err instanceof ProtocolError || err instanceof RangeError) {
        conn.malformed(err.message, { head: pending.subarray(0, 32).toString('hex') });
      } else {
        ctx.log.error('protocol handler failed', { src, service: ctx.service, err });
        conn.malformed('internal parser failure');
      }
    }
  });
  return conn;
}

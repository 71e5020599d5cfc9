import type net from 'node:net';
import tls from 'node:tls';
import type { ConnectionMeta } from './tcp-listener';
import type { InteractionKind, ServiceContext } from './types';

/**
 * Plumbing shared by the framed binary protocols (MySQL, PostgreSQL, TDS, MongoDB, LDAP, RESP):
 * a bounded receive buffer, an idle timeout, graceful hang-up and "malformed → record and close".
 * The protocol supplies one `consume` step that parses from the front of the buffer. In-band TLS
 * upgrades (PostgreSQL SSLRequest, MySQL SSL request, LDAP StartTLS) keep every one of these
 * bounds: the buffer, message count and idle timer carry on over the TLS socket.
 */

/** A TLS handshake must finish in this long (or the idle limit, if shorter); a stalled one is cut. */
export const tlsHandshakeMs = 10_000;

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
  /** Records an interaction; once TLS is up its data carries `tls: true`. */
  capture: (kind: InteractionKind, data: Record<string, unknown>) => void;
  isOpen: () => boolean;
  /**
   * Switches the connection to TLS (server side) once the current message is consumed. Bytes the
   * peer sent behind that message are its ClientHello when `noReply` (MySQL's SSL request gets no
   * answer, so clients start the handshake at once); otherwise they are plaintext pipelined past
   * a request that needs our reply first, refused as malformed the way PostgreSQL refuses them
   * ("received unencrypted data after SSL request"). `onFailure` is written in clear when the
   * handshake fails on garbage (MariaDB answers a non-TLS reply to its SSL request with "Bad handshake").
   * `requestCert` asks for an optional client certificate (a CertificateRequest), as MariaDB does.
   */
  startTls: (
    context: tls.SecureContext,
    opts?: { noReply?: boolean; onFailure?: Buffer; requestCert?: boolean },
  ) => void;
  isTls: () => boolean;
  /** New bounds from here on (a login that succeeded gets the server's command-phase timeouts). */
  setLimits: (limits: { idleMs: number; maxMessages: number }) => void;
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
  const limits = { idleMs: opts.idleMs, maxMessages: opts.maxMessages };
  // Writes and hang-ups go to the TLS socket once upgraded; the raw socket is only destroyed.
  let stream: net.Socket = socket;
  let secure = false;
  type Upgrade = { context: tls.SecureContext; noReply: boolean; onFailure?: Buffer; requestCert?: boolean };
  let upgradeTo: Upgrade | null = null;

  const end = (data?: Uint8Array | string) => {
    if (!open) return;
    open = false;
    if (data !== undefined && stream.writable) stream.write(data);
    stream.end();
    setTimeout(() => socket.destroy(), 5_000).unref();
  };
  const conn: BinaryConn = {
    src,
    session,
    send: (data) => {
      if (open && stream.writable) stream.write(data);
    },
    end,
    malformed: (reason, extra) => {
      if (!open) return;
      ctx.capture({ src, kind: 'malformed', data: { session, reason, ...extra, ...(secure ? { tls: true } : {}) } });
      open = false;
      pending = Buffer.alloc(0);
      socket.destroy();
    },
    capture: (kind, data) => ctx.capture({ src, kind, data: { session, ...data, ...(secure ? { tls: true } : {}) } }),
    isOpen: () => open,
    startTls: (context, o) => {
      upgradeTo = { ...o, context, noReply: o?.noReply ?? false };
    },
    isTls: () => secure,
    setLimits: (l) => {
      limits.idleMs = l.idleMs;
      limits.maxMessages = messages + l.maxMessages;
      stream.setTimeout(l.idleMs);
    },
  };

  const onIdle = () => {
    if (opts.onIdle) opts.onIdle(conn);
    end();
  };

  const upgrade = ({ context, onFailure, requestCert }: Upgrade, early: Buffer) => {
    socket.removeListener('data', onData);
    socket.pause();
    socket.setTimeout(0);
    // TLSSocket feeds what the raw socket still has buffered into the handshake (node's initRead).
    if (early.length) socket.unshift(early);
    const t = new tls.TLSSocket(socket, {
      isServer: true,
      secureContext: context,
      ...(requestCert ? { requestCert: true, rejectUnauthorized: false } : {}),
    });
    stream = t;
    const handshake = setTimeout(
      () => {
        if (!secure) conn.malformed('TLS handshake not finished in time');
      },
      Math.min(opts.idleMs, tlsHandshakeMs),
    );
    handshake.unref();
    t.setTimeout(limits.idleMs, onIdle);
    t.on('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(handshake);
      ctx.log.debug('tls error', { src, service: ctx.service, err });
      // A peer that hangs up mid-handshake is no protocol error; TLS garbage (an OpenSSL error) is.
      const code = err.code ?? '';
      if (!secure && code.startsWith('ERR_SSL')) {
        if (onFailure && socket.writable) socket.write(onFailure);
        conn.malformed(`TLS handshake failed: ${err.message.slice(0, 120)}`);
      }
      socket.destroy();
    });
    t.on('close', () => {
      open = false;
    });
    t.once('secure', () => {
      clearTimeout(handshake);
      secure = true;
      conn.capture('command', { verb: 'TLS', protocol: t.getProtocol() ?? '', cipher: t.getCipher().name });
    });
    t.on('data', onData);
  };

  function onData(chunk: Buffer): void {
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
        if (messages > limits.maxMessages) {
          conn.malformed(`more than ${limits.maxMessages} messages on one connection`);
          return;
        }
        const up = upgradeTo;
        if (up) {
          upgradeTo = null;
          if (pending.length > 0 && !up.noReply) {
            conn.malformed('unencrypted data after TLS request', { head: pending.subarray(0, 32).toString('hex') });
            return;
          }
          const early = Buffer.from(pending);
          pending = Buffer.alloc(0);
          if (open) upgrade(up, early);
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
  }

  socket.setTimeout(opts.idleMs, onIdle);
  socket.on('close', () => {
    open = false;
  });
  socket.on('data', onData);
  return conn;
}

import type net from 'node:net';
import tls from 'node:tls';
import { createLineReader } from './line-reader';
import type { ConnectionMeta } from './tcp-listener';
import type { ServiceContext } from './types';

/**
 * The socket side shared by the line-oriented mail protocols (SMTP, IMAP, POP3): bounded line
 * reading, idle timeout, implicit TLS (993/995) and in-band STARTTLS upgrades, and hang-up that
 * cannot leave a half-open socket behind. The protocol logic stays in pure per-protocol modules.
 */
export type LineConn = {
  send: (text: string) => void;
  /** Sends `text` (when given) and closes; later input is ignored. */
  hangUp: (text?: string) => void;
  /** Switches to TLS after the current line; input pipelined behind it is discarded (RFC 3207 §4). */
  startTls: () => void;
  /**
   * Holds every later reply back for `ms` (order preserved): Dovecot's auth_failure_delay, the
   * pause that makes brute forcing slow and whose absence is a honeypot tell.
   */
  delay: (ms: number) => void;
  readonly tls: boolean;
  readonly closed: boolean;
};

export type LineSessionOptions = Readonly<{
  ctx: ServiceContext;
  meta: ConnectionMeta;
  /** Greeting sent on connect (after the handshake when `implicitTls`). */
  greeting: string | null;
  maxLineBytes: number;
  idleMs: number;
  /** Sent before closing an idle connection. */
  idleReply: string;
  /** Sent before closing a connection whose line overflowed. */
  overflowReply: string;
  secureContext: tls.SecureContext | null;
  implicitTls: boolean;
  /** Called as each TLS handshake (STARTTLS or implicit) begins, e.g. to retire a ticket key. */
  beforeTls?: () => void;
  onLine: (line: string, conn: LineConn) => void;
  /** Called with the bytes of an unfinished line after each read (optional). */
  onPartial?: (pending: Buffer, conn: LineConn) => void;
}>;

export function serveLineSession(socket: net.Socket, opts: LineSessionOptions): void {
  const { ctx, meta } = opts;
  let stream: net.Socket = socket;
  let reader = createLineReader({ maxLineBytes: opts.maxLineBytes });
  let closed = false;
  let secure = false;
  let upgradePending = false;
  // Output actions wait here while a delay runs; otherwise they run at once (STARTTLS relies on
  // its reply reaching the raw socket synchronously before the TLS wrap).
  const queue: Array<() => void> = [];
  let waiting = false;
  const run = (fn: () => void) => (waiting ? queue.push(fn) : fn());
  const write = (text: string) => {
    if (stream.writable) stream.write(text + '\r\n');
  };

  const conn: LineConn = {
    send: (text) => {
      if (!closed) run(() => write(text));
    },
    hangUp: (text) => {
      if (closed) return;
      closed = true;
      run(() => {
        if (text) write(text);
        stream.end();
        // A peer that never closes its side must not keep the socket half-open.
        setTimeout(() => socket.destroy(), 5_000).unref();
      });
    },
    startTls: () => {
      upgradePending = true;
    },
    delay: (ms) =>
      run(() => {
        waiting = true;
        setTimeout(() => {
          waiting = false;
          while (!waiting && queue.length) queue.shift()?.();
        }, ms).unref();
      }),
    get tls() {
      return secure;
    },
    get closed() {
      return closed;
    },
  };

  const onData = (chunk: Buffer) => {
    if (closed) return;
    const { lines, overflow } = reader.push(chunk);
    for (const line of lines) {
      if (closed) return;
      try {
        opts.onLine(line, conn);
      } catch (err) {
        ctx.log.error('line handler failed', { service: ctx.service, err });
        return conn.hangUp();
      }
      if (upgradePending) {
        upgradePending = false;
        stream.removeListener('data', onData);
        return run(upgrade);
      }
    }
    if (overflow) {
      ctx.capture({
        src: meta.src,
        kind: 'malformed',
        data: { session: meta.session, reason: `line longer than ${opts.maxLineBytes} bytes` },
      });
      return conn.hangUp(opts.overflowReply);
    }
    if (opts.onPartial && !closed && reader.pendingBytes() > 0) opts.onPartial(reader.pending(), conn);
  };

  const wrap = (raw: net.Socket): tls.TLSSocket => {
    opts.beforeTls?.();
    const t = new tls.TLSSocket(raw, { isServer: true, secureContext: opts.secureContext ?? undefined });
    t.on('error', (err) => {
      ctx.log.debug('tls error', { src: meta.src, err });
      socket.destroy();
    });
    return t;
  };

  const upgrade = () => {
    if (closed || socket.destroyed) return;
    reader = createLineReader({ maxLineBytes: opts.maxLineBytes });
    const t = wrap(socket);
    t.once('secure', () => {
      secure = true;
      ctx.capture({
        src: meta.src,
        kind: 'command',
        data: { session: meta.session, verb: 'TLS', protocol: t.getProtocol() ?? '', cipher: t.getCipher().name },
      });
    });
    stream = t;
    t.on('data', onData);
  };

  socket.setTimeout(opts.idleMs, () => conn.hangUp(opts.idleReply));
  if (opts.implicitTls && opts.secureContext) {
    const t = wrap(socket);
    stream = t;
    t.once('secure', () => {
      secure = true;
      if (opts.greeting) conn.send(opts.greeting);
    });
    t.on('data', onData);
    return;
  }
  if (opts.greeting) conn.send(opts.greeting);
  socket.on('data', onData);
}

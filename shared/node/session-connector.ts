import type { TLSSocket } from 'node:tls';
import { buildConnector } from 'undici';

/** Origins one dispatcher remembers a session for (a worker talks to one master). */
const MAX_SESSIONS = 16;

/**
 * An undici connector that keeps the last TLS session of each origin and offers it on the next
 * connection. undici's own cache holds sessions through WeakRefs, so a garbage collection between
 * two heartbeats 30 s apart loses the session and the beat pays a full handshake. A session is
 * taken only from a connection that completed with every check passed (`secureConnect`: chain,
 * pin, role), and Node runs no check on a resumed session, so only the server that earned it in a
 * checked handshake can resume it (it alone holds the ticket key). A server that does not resume
 * it gets a full handshake, checked again.
 */
export function sessionKeepingConnector(options: buildConnector.BuildOptions): buildConnector.connector {
  const sessions = new Map<string, Buffer>();
  const keep = (key: string, session: Buffer) => {
    sessions.delete(key);
    sessions.set(key, session);
    if (sessions.size > MAX_SESSIONS) sessions.delete(sessions.keys().next().value!);
  };
  return (opts, callback) => {
    const key = `${opts.servername ?? opts.hostname}:${opts.port}`;
    const session = sessions.get(key);
    const connect = buildConnector({ ...options, maxCachedSessions: 0, ...(session ? { session } : {}) });
    connect(opts, (...args) => {
      const [err, socket] = args;
      if (err) {
        // A failed connection says nothing good of its session: the next one starts afresh.
        sessions.delete(key);
      } else {
        const tls = socket as TLSSocket;
        // TLS 1.2 settles the session in the handshake; TLS 1.3 sends tickets after it.
        const now = tls.getSession();
        if (now && tls.getProtocol() !== 'TLSv1.3') keep(key, now);
        tls.on('session', (s: Buffer) => keep(key, s));
      }
      callback(...args);
    });
  };
}

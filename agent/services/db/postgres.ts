import type net from 'node:net';
import { randomBytes } from 'node:crypto';
import { distros } from '../../../shared/catalog/distros';
import { ProtocolError, runBinarySession } from '../kit/binary-session';
import { parseUsers, personaString } from '../kit/persona';
import { answerMessages, loginMessages, pgDatabases, pgMd5, type PgSession } from './postgres-session';
import { runPgQuery } from './postgres-query';
import { splitStatements } from './mysql-sql';
import tls from 'node:tls';
import { constants } from 'node:crypto';
import { deckyHostname } from '../kit/persona';
import { personaCert } from '../kit/tls-cert';
import {
  authRequest,
  layoutError,
  negotiateProtocolVersion,
  noDatabase,
  noUserError,
  notAccepting,
  notPassword,
  passwordFailed,
  pgAuth,
  pgLimits,
  pgMajor,
  readPgMessage,
  readStartupPacket,
  unsupportedProtocol,
} from './postgres-codec';
import { pgSites } from './postgres-sites';
import { listenTcp, type ConnectionMeta } from '../kit/tcp-listener';
import type { RunningService, ServiceContext, ServiceModule } from '../kit/types';

/**
 * PostgreSQL login that asks for the password in clear (a `password` line in pg_hba.conf), or as
 * md5 when the persona says so, and fails with 28P01 unless a persona user gives its password.
 * Nothing is sent before authentication (no ParameterStatus), exactly like postmaster; the version
 * only leaks through the error sites (postgres-sites.ts), which nmap reads. SSLRequest is accepted
 * ('S', then TLS with the decky's certificate and be-secure-openssl.c's defaults, as `ssl = on`
 * with Debian's snakeoil pair does); GSSENCRequest gets 'G' as Debian's GSSAPI build answers, and
 * the token that follows is dropped with a silent close, as a server without a keytab does. A
 * repeated request is an unsupported protocol 1234.5679/5680, as in ProcessStartupPacket.
 * authentication_timeout (60 s) bounds the login, TLS handshake included. The persona's `users`
 * (`user:password,…`) log in to the stock databases or the decky's app database and get a
 * session over the simple query protocol (postgres-session.ts), each statement recorded.
 * Measured against Debian 12's 15.18 by tests/integration/fidelity/postgres.test.ts.
 */
export const postgresSessionLimits = { idleMs: 60_000, maxMessages: 8 } as const;
/** After a login: 5 min idle, at most 500 messages. */
export const postgresQueryLimits = { idleMs: 300_000, maxMessages: 500 } as const;

async function start(ctx: ServiceContext): Promise<RunningService> {
  const version = personaString(ctx.persona, 'version', distros[ctx.decky.distro].postgresVersion);
  const major = pgMajor(version);
  const sites = pgSites(version);
  const md5 = personaString(ctx.persona, 'auth', 'password') === 'md5';
  const pair = await personaCert(ctx.dataDir, { cn: deckyHostname(ctx.decky) });
  const secureContext = tls.createSecureContext({ ...pair, ...postgresTlsOptions });
  const users = parseUsers(personaString(ctx.persona, 'users', ''));

  const onConnection = (socket: net.Socket, meta: ConnectionMeta) => {
    let stage: 'startup' | 'gss' | 'password' | 'query' = 'startup';
    let session: PgSession | null = null;
    let params: Record<string, string> = {};
    let salt = Buffer.alloc(0);
    // ProcessStartupPacket's ssl_done / gss_done: each negotiation is allowed once, SSL's 'S' ends both.
    let sslDone = false;
    let gssDone = false;
    /** Bytes of the client's first GSSAPI token still to come (null: its length not read yet). */
    let gssLeft: number | null = null;

    runBinarySession(ctx, socket, meta, { maxBufferBytes: pgLimits.maxStartup, ...postgresSessionLimits }, (buf, c) => {
      if (stage === 'gss') {
        // After 'G' the server reads one length-prefixed token and hands it to
        // gss_accept_sec_context; without a keytab for the decky that fails, logged only, and the
        // connection is closed without a word (measured on Debian's 15.18).
        if (gssLeft === null) {
          if (buf.length < 4) return 0;
          const len = buf.readUInt32BE(0);
          if (len > pgLimits.maxGssToken) throw new ProtocolError(`oversize GSSAPI packet (${len} bytes)`);
          gssLeft = len;
          c.capture('request', { type: 'GSSAPI token', bytes: len, head: buf.subarray(4, 36).toString('hex') });
          if (len === 0) c.end();
          return 4;
        }
        const used = Math.min(gssLeft, buf.length);
        gssLeft -= used;
        if (gssLeft === 0) c.end();
        return used;
      }
      if (stage === 'startup') {
        const got = readStartupPacket(buf);
        if (!got) return 0;
        const p = got.packet;
        switch (p.kind) {
          case 'ssl':
          case 'gssenc': {
            const type = p.kind === 'ssl' ? 'SSLRequest' : 'GSSENCRequest';
            c.capture('request', { type });
            // GSSENCRequest is 12's; older servers read it as protocol 1234.5680.
            const again = p.kind === 'ssl' ? sslDone : gssDone || major < 12;
            if (again) {
              c.end(unsupportedProtocol(sites, major, 1234, p.kind === 'ssl' ? 5679 : 5680));
              return got.size;
            }
            if (p.kind === 'gssenc') {
              // Debian's build has GSSAPI: 'G' on any TCP connection, keytab or not.
              gssDone = true;
              stage = 'gss';
              c.send('G');
              return got.size;
            }
            sslDone = gssDone = true;
            c.send('S');
            c.startTls(secureContext);
            return got.size;
          }
          case 'cancel':
            c.capture('request', { type: 'CancelRequest' });
            c.end();
            return got.size;
          case 'unsupported':
            c.capture('request', { type: 'startup', protocol: `${p.major}.${p.minor}` });
            c.end(unsupportedProtocol(sites, major, p.major, p.minor));
            return got.size;
          case 'layout':
            c.capture('request', { type: 'startup', protocol: '3.0', layout: 'invalid' });
            c.end(layoutError(sites));
            return got.size;
          case 'startup': {
            params = p.params;
            const user = params.user ?? '';
            c.capture('request', {
              type: 'startup',
              protocol: `3.${p.minor}`,
              user,
              database: params.database || user,
              application: params.application_name ?? null,
              params,
            });
            // A newer minor or _pq_ options are answered before anything else, as 15 does.
            const negotiate =
              p.minor > 0 || p.unrecognized.length > 0 ? negotiateProtocolVersion(p.unrecognized) : null;
            if (!user) {
              c.end(negotiate ? Buffer.concat([negotiate, noUserError(sites)]) : noUserError(sites));
              return got.size;
            }
            stage = 'password';
            if (md5) salt = randomBytes(4);
            const ask = md5 ? authRequest(pgAuth.md5, salt) : authRequest(pgAuth.cleartext);
            c.send(negotiate ? Buffer.concat([negotiate, ask]) : ask);
            return got.size;
          }
        }
      }
      // recv_password_packet judges the type byte before it reads a length. Anything but 'p',
      // Terminate 'X' included (psql without -W gives up so), gets its error.
      if (stage === 'password' && buf[0] !== 0x70) {
        c.capture('request', { type: 'not a password', message: buf[0] });
        c.end(notPassword(sites, buf[0]!));
        return buf.length;
      }
      const msg = readPgMessage(buf);
      if (!msg) return 0;
      if (stage === 'query') {
        const s = session!;
        if (msg.tag === 'X') return (c.end(), msg.size);
        if (msg.tag === 'S') return (c.send(Buffer.from([0x5a, 0, 0, 0, 5, (s.tx ?? 'I').charCodeAt(0)])), msg.size);
        if (msg.tag !== 'Q') {
          // The extended protocol (Parse/Bind/Execute) is not answered; the client is told so.
          if (msg.tag === 'P')
            c.send(
              answerMessages({
                kind: 'err',
                code: '0A000',
                message: 'prepared statements are not supported',
                routine: 'exec_parse_message',
              }),
            );
          return msg.size;
        }
        const query = msg.body.toString('utf8', 0, Math.max(0, msg.body.indexOf(0))).slice(0, 4096);
        const run = runPgQuery(query, s, ctx.decky.name, sites, splitStatements(query).slice(0, 50));
        for (const { stmt, answer: a } of run.answered)
          c.capture('command', {
            query: stmt,
            user: s.user,
            database: s.db,
            result:
              a.kind === 'err'
                ? `ERROR ${a.code}`
                : a.kind === 'tag'
                  ? a.tag
                  : a.kind === 'empty'
                    ? 'EMPTY'
                    : `${a.rows.length} rows`,
          });
        c.send(run.bytes);
        return msg.size;
      }
      const nul = msg.body.indexOf(0);
      const secret = msg.body.toString('utf8', 0, nul < 0 ? msg.body.length : nul).slice(0, 256);
      const user = params.user ?? '';
      c.capture('auth', {
        method: md5 ? 'md5' : 'password',
        username: user,
        ...(md5 ? { hash: secret, salt: salt.toString('hex') } : { password: secret }),
        database: params.database || user,
        application: params.application_name ?? null,
      });
      const known = users.get(user);
      if (known !== undefined && (md5 ? secret === pgMd5(known, user, salt) : secret === known)) {
        const db = params.database || user;
        // InitPostgres runs after authentication: AuthenticationOk, then its database checks.
        const dbError = !pgDatabases(ctx.decky.name).includes(db)
          ? noDatabase(sites, db)
          : db === 'template0'
            ? notAccepting(sites, db)
            : null;
        if (dbError) {
          c.capture('auth', { method: 'accepted', username: user, success: true, database: db, error: 'no database' });
          c.end(Buffer.concat([authRequest(pgAuth.ok), dbError]));
          return msg.size;
        }
        stage = 'query';
        session = { user, db, version, superuser: false, tx: 'I' };
        c.capture('auth', { method: 'accepted', username: user, success: true, database: session.db });
        c.setLimits(postgresQueryLimits);
        c.send(loginMessages(session, params.application_name ?? ''));
        return msg.size;
      }
      c.end(passwordFailed(sites, user));
      return msg.size;
    });
  };

  const listener = await listenTcp({
    host: ctx.host,
    port: ctx.port(5432),
    capture: ctx.capture,
    log: ctx.log,
    onConnection,
  });
  return { bound: [listener.bound], close: listener.close };
}

/**
 * be-secure-openssl.c's defaults: ssl_ciphers HIGH:MEDIUM:+3DES:!aNULL in the server's order
 * (ssl_prefer_server_ciphers on), ssl_ecdh_curve prime256v1 as the only group (a TLS 1.3 client
 * offering x25519 first is asked again for P-256), no session tickets, TLS 1.2 at least.
 */
const postgresTlsOptions = {
  ciphers: 'HIGH:MEDIUM:+3DES:!aNULL',
  honorCipherOrder: true,
  ecdhCurve: 'prime256v1',
  minVersion: 'TLSv1.2',
  secureOptions: constants.SSL_OP_NO_TICKET,
} as const;

export const postgresService: ServiceModule = { name: 'postgres', start };

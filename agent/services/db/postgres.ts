import type net from 'node:net';
import { randomBytes } from 'node:crypto';
import { distros } from '../../../shared/catalog/distros';
import { ProtocolError, runBinarySession } from '../kit/binary-session';
import { parseUsers, personaString } from '../kit/persona';
import { answerMessages, answerPgQuery, loginMessages, pgMd5, type PgSession } from './postgres-session';
import { splitStatements } from './mysql-sql';
import { deckySecureContext } from '../kit/tls-cert';
import {
  authRequest,
  errorResponse,
  passwordFailed,
  pgAuth,
  pgLimits,
  pgMajor,
  readPgMessage,
  readStartupPacket,
  unsupportedProtocol,
} from './postgres-codec';
import { listenTcp, type ConnectionMeta } from '../kit/tcp-listener';
import type { RunningService, ServiceContext, ServiceModule } from '../kit/types';

/**
 * PostgreSQL login that asks for the password in clear (a `password` line in pg_hba.conf), or as
 * md5 when the persona says so, and always fails with 28P01. Nothing is sent before
 * authentication (no ParameterStatus), exactly like postmaster; the version only leaks through
 * the error site of an unsupported protocol, which is what nmap reads. SSLRequest is accepted
 * ('S', then TLS with the decky's certificate, as `ssl = on` with Debian's snakeoil pair does) and
 * GSSENCRequest declined ('N', a build without GSSAPI); a repeated request is an unsupported
 * protocol 1234.5679/5680, as in ProcessStartupPacket. authentication_timeout (60 s) bounds the
 * login, TLS handshake included. The persona's `users` (`user:password,…`) log in and get a
 * session over the simple query protocol (postgres-session.ts), each statement recorded.
 */
export const postgresSessionLimits = { idleMs: 60_000, maxMessages: 8 } as const;
/** After a login: 5 min idle, at most 500 messages. */
export const postgresQueryLimits = { idleMs: 300_000, maxMessages: 500 } as const;

async function start(ctx: ServiceContext): Promise<RunningService> {
  const version = personaString(ctx.persona, 'version', distros[ctx.decky.distro].postgresVersion);
  const major = pgMajor(version);
  const md5 = personaString(ctx.persona, 'auth', 'password') === 'md5';
  const secureContext = await deckySecureContext(ctx);
  const users = parseUsers(personaString(ctx.persona, 'users', ''));

  const onConnection = (socket: net.Socket, meta: ConnectionMeta) => {
    let stage: 'startup' | 'password' | 'query' = 'startup';
    let session: PgSession | null = null;
    let params: Record<string, string> = {};
    let salt = Buffer.alloc(0);
    // ProcessStartupPacket's ssl_done / gss_done: each negotiation is allowed once, SSL's 'S' ends both.
    let sslDone = false;
    let gssDone = false;

    runBinarySession(ctx, socket, meta, { maxBufferBytes: pgLimits.maxStartup, ...postgresSessionLimits }, (buf, c) => {
      if (stage === 'startup') {
        const got = readStartupPacket(buf);
        if (!got) return 0;
        const p = got.packet;
        switch (p.kind) {
          case 'ssl':
          case 'gssenc': {
            const type = p.kind === 'ssl' ? 'SSLRequest' : 'GSSENCRequest';
            c.capture('request', { type });
            const again = p.kind === 'ssl' ? sslDone : gssDone;
            if (again) {
              c.end(unsupportedProtocol(major, 1234, p.kind === 'ssl' ? 5679 : 5680));
              return got.size;
            }
            if (p.kind === 'gssenc') {
              gssDone = true;
              c.send('N');
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
            c.end(unsupportedProtocol(major, p.major, p.minor));
            return got.size;
          case 'startup': {
            params = p.params;
            const user = params.user ?? '';
            c.capture('request', {
              type: 'startup',
              protocol: '3.0',
              user,
              database: params.database ?? user,
              application: params.application_name ?? null,
              params,
            });
            if (!user) {
              c.end(
                errorResponse({
                  severity: 'FATAL',
                  code: '28000',
                  message: 'no PostgreSQL user name specified in startup packet',
                  file: major >= 17 ? 'backend_startup.c' : 'postmaster.c',
                  line: major >= 17 ? 752 : 2281,
                  routine: 'ProcessStartupPacket',
                }),
              );
              return got.size;
            }
            stage = 'password';
            if (md5) {
              salt = randomBytes(4);
              c.send(authRequest(pgAuth.md5, salt));
            } else c.send(authRequest(pgAuth.cleartext));
            return got.size;
          }
        }
      }
      const msg = readPgMessage(buf);
      if (!msg) return 0;
      if (stage === 'query') {
        const s = session!;
        if (msg.tag === 'X') return (c.end(), msg.size);
        if (msg.tag === 'S') return (c.send(pgReady), msg.size);
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
        const out: Buffer[] = [];
        for (const stmt of splitStatements(query).slice(0, 50)) {
          const a = answerPgQuery(stmt, s, ctx.decky.name);
          c.capture('command', {
            query: stmt,
            user: s.user,
            database: s.db,
            result: a.kind === 'err' ? `ERROR ${a.code}` : a.kind === 'tag' ? a.tag : `${a.rows.length} rows`,
          });
          out.push(answerMessages(a));
          if (a.kind === 'err') break;
        }
        c.send(Buffer.concat([...out, pgReady]));
        return msg.size;
      }
      // A client that gives up on the password prompt (psql without -W) sends Terminate 'X'.
      if (msg.tag === 'X') {
        c.end();
        return msg.size;
      }
      if (msg.tag !== 'p') throw new ProtocolError(`expected password message, got '${msg.tag}'`);
      const nul = msg.body.indexOf(0);
      const secret = msg.body.toString('utf8', 0, nul < 0 ? msg.body.length : nul).slice(0, 256);
      const user = params.user ?? '';
      c.capture('auth', {
        method: md5 ? 'md5' : 'password',
        username: user,
        ...(md5 ? { hash: secret, salt: salt.toString('hex') } : { password: secret }),
        database: params.database ?? user,
        application: params.application_name ?? null,
      });
      const known = users.get(user);
      if (known !== undefined && (md5 ? secret === pgMd5(known, user, salt) : secret === known)) {
        stage = 'query';
        session = { user, db: params.database ?? user, version, superuser: false };
        c.capture('auth', { method: 'accepted', username: user, success: true, database: session.db });
        c.setLimits(postgresQueryLimits);
        c.send(loginMessages(session, params.application_name ?? ''));
        return msg.size;
      }
      c.end(passwordFailed(major, user));
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

const pgReady = Buffer.from([0x5a, 0, 0, 0, 5, 0x49]); // ReadyForQuery, idle

export const postgresService: ServiceModule = { name: 'postgres', start };

import type net from 'node:net';
import { createHash, randomInt } from 'node:crypto';
import { distros } from '../../../shared/catalog/distros';
import { type BinaryConn, ProtocolError, runBinarySession } from '../kit/binary-session';
import {
  accessDenied,
  authSwitchRequest,
  errPacket,
  headerError,
  isOldClient,
  oldClientError,
  handshakeV10,
  mysqlFlavour,
  mysqlLimits,
  mysqlPacket,
  newScramble,
  parseHandshakeResponse,
  readMysqlPacket,
  unknownDatabase,
  type HandshakeResponse,
} from './mysql-codec';
import { parseUsers, personaString } from '../kit/persona';
import { deckySecureContext } from '../kit/tls-cert';
import { listenTcp, type ConnectionMeta } from '../kit/tcp-listener';
import { answerQuery, fakeSchema, splitStatements, type SqlSession } from './mysql-sql';
import { okPacket, resultSetPackets } from './mysql-results';
import type { RunningService, ServiceContext, ServiceModule } from '../kit/types';

/**
 * MySQL / MariaDB server greeting and login, always ending in ERR 1045. The native and
 * caching_sha2 responses are one-way hashes, so they are recorded with the scramble (enough to
 * crack offline). Clients known to accept mysql_clear_password (MariaDB Connector/C, or any client
 * that announces that plugin itself) are asked for it, as a PAM-backed account would be, and
 * their password is recorded in clear. Other clients are never asked: Oracle's libmysqlclient
 * refuses the switch with an unusual error, which would tell them something is off.
 * A client that sends the SSL request gets TLS with the decky's certificate and logs in over it.
 * connect_timeout (10 s) bounds the login like the real server's, TLS handshake included.
 * The persona's `users` (`user:password,…`) log in, natively or in clear; their session answers
 * queries from a small fake schema (mysql-sql.ts), each one recorded, within command-phase bounds.
 */
export const mysqlSessionLimits = { idleMs: 10_000, maxMessages: 4 } as const;
/** After a login: an idle session is cut after 5 min (the real wait_timeout is 8 h), at most 500 commands. */
export const mysqlCommandLimits = { idleMs: 300_000, maxMessages: 500 } as const;

/** mysql_native_password: SHA1(pw) XOR SHA1(scramble + SHA1(SHA1(pw))). */
function nativeToken(password: string, scramble: Buffer): Buffer {
  const sha1 = (b: Buffer | string) => createHash('sha1').update(b).digest();
  const p1 = sha1(password);
  const p3 = sha1(Buffer.concat([scramble.subarray(0, 20), sha1(p1)]));
  return Buffer.from(p1.map((b, i) => b ^ (p3[i] ?? 0)));
}

const clearPlugin = 'mysql_clear_password';
const nativePlugin = 'mysql_native_password';

/** Clients whose library sends the clear password when asked, without an opt-in flag. */
function acceptsClearSwitch(resp: HandshakeResponse): boolean {
  const name = resp.attributes._client_name ?? '';
  return /libmariadb|mariadb connector/i.test(name);
}

async function start(ctx: ServiceContext): Promise<RunningService> {
  const version = personaString(ctx.persona, 'version', distros[ctx.decky.distro].mysqlVersion);
  const flavour = mysqlFlavour(version);
  let nextConnectionId = randomInt(8, 400);
  const users = parseUsers(personaString(ctx.persona, 'users', ''));
  const schema = fakeSchema(ctx.decky.name, users);
  const sqlVersion = version.replace(/^5\.5\.5-/, '');
  const secureContext = await deckySecureContext(ctx);

  const onConnection = (socket: net.Socket, meta: ConnectionMeta) => {
    const scramble = newScramble(flavour.mariadb);
    const connectionId = nextConnectionId++;
    let stage: 'handshake' | 'switched' | 'native-switch' | 'command' = 'handshake';
    /** The sequence number of our AuthSwitchRequest; the client's answer carries the next one. */
    let switchSeq = 0;
    let login: HandshakeResponse | null = null;
    let sql: SqlSession | null = null;
    /** A persona user logged in: OK, then the command phase. */
    const accept = (c: BinaryConn, seq: number, user: string, database: string | null) => {
      if (database && !schema.has(database)) {
        c.capture('auth', { method: 'accepted', username: user, success: true, database, error: 'no database' });
        c.end(mysqlPacket(seq, unknownDatabase(database)));
        return;
      }
      stage = 'command';
      sql = {
        db: database && schema.has(database) ? database : null,
        user,
        src: c.src,
        version: sqlVersion,
        mariadb: flavour.mariadb,
      };
      c.capture('auth', { method: 'accepted', username: user, success: true });
      c.setLimits(mysqlCommandLimits);
      c.send(mysqlPacket(seq, okPacket()));
    };
    const command = (c: BinaryConn, payload: Buffer): void => {
      const s = sql!;
      const op = payload[0];
      const arg = payload.subarray(1).toString('utf8').slice(0, 4096);
      if (op === 0x01) return c.end();
      if (op === 0x0e) return c.send(mysqlPacket(1, okPacket()));
      const query = op === 0x02 ? `USE \`${arg}\`` : op === 0x03 ? arg : null;
      if (query === null) return c.send(mysqlPacket(1, errPacket(1047, '08S01', 'Unknown command')));
      const caps = {
        client: (login?.capabilities ?? 0) & flavour.capabilities,
        mariadb: (login?.mariadbCaps ?? 0) & flavour.mariadbCaps,
      };
      const statements = splitStatements(query).slice(0, 50);
      let seq = 1;
      const out: Buffer[] = [];
      // Answered in order; the first error ends the batch, as the server stops there.
      for (const [i, stmt] of statements.entries()) {
        const more = i < statements.length - 1;
        const answer = answerQuery(stmt, s, schema);
        c.capture('command', {
          query: stmt,
          user: s.user,
          database: s.db,
          result:
            answer.kind === 'err'
              ? `ERROR ${answer.code}`
              : answer.kind === 'ok'
                ? 'OK'
                : `${answer.rs.rows.length} rows`,
        });
        if (answer.kind === 'err') {
          out.push(mysqlPacket(seq++, errPacket(answer.code, answer.state, answer.message)));
          break;
        }
        if (answer.kind === 'ok') out.push(mysqlPacket(seq++, okPacket(answer.affected, 0, more)));
        else {
          const r = resultSetPackets(answer.rs, caps, seq, more);
          out.push(r.bytes);
          seq = r.next;
        }
      }
      c.send(Buffer.concat(out));
    };

    const conn = runBinarySession(
      ctx,
      socket,
      meta,
      { maxBufferBytes: mysqlLimits.maxPacket + 4, ...mysqlSessionLimits },
      (buf, c) => {
        if (stage !== 'command') {
          if (buf.length < 4) return 0;
          const expected = stage === 'handshake' ? (c.isTls() ? 2 : 1) : switchSeq + 1;
          // PROXY headers are MariaDB's (proxy_protocol_networks); MySQL has no such check.
          const bad = headerError(buf, expected, stage === 'handshake' && !c.isTls() && flavour.mariadb, c.src);
          if (bad) {
            c.capture('request', { type: 'bad packet header', head: buf.subarray(0, 4).toString('hex') });
            c.end(bad);
            return buf.length;
          }
        }
        let pkt;
        try {
          pkt = readMysqlPacket(buf);
        } catch (err) {
          // A login packet longer than we buffer: the server waits for it, and so do we until the
          // buffer bound or connect_timeout ends the connection.
          if (stage !== 'command') return 0;
          c.send(mysqlPacket(2, errPacket(1043, '08S01', 'Bad handshake')));
          throw err;
        }
        if (!pkt) return 0;
        if (stage === 'command') {
          command(c, pkt.payload);
          return pkt.size;
        }
        if (stage === 'handshake') {
          if (isOldClient(pkt.payload)) {
            c.capture('request', { type: 'pre-4.1 handshake', head: pkt.payload.subarray(0, 32).toString('hex') });
            c.end(mysqlPacket(pkt.seq + 1, oldClientError(flavour.mariadb)));
            return pkt.size;
          }
          let resp: HandshakeResponse;
          try {
            resp = parseHandshakeResponse(pkt.payload);
          } catch (err) {
            c.send(mysqlPacket(pkt.seq + 1, errPacket(1043, '08S01', 'Bad handshake')));
            throw err;
          }
          if (resp.sslRequest) {
            // The 32-byte SSL request: TLS first, then the real HandshakeResponse (seq 2) inside it.
            if (c.isTls()) throw new ProtocolError('second SSL request inside TLS');
            c.capture('request', { type: 'SSLRequest', clientCapabilities: resp.capabilities.toString(16) });
            // A client that then speaks no TLS is told "Bad handshake" in clear, as MariaDB does.
            c.startTls(secureContext, {
              noReply: true,
              requestCert: true,
              onFailure: mysqlPacket(2, errPacket(1043, '08S01', 'Bad handshake')),
            });
            return pkt.size;
          }
          login = resp;
          const plugin = resp.plugin ?? flavour.defaultPlugin;
          const clear = plugin === clearPlugin;
          c.capture('auth', {
            method: plugin,
            username: resp.username,
            ...(clear ? { password: resp.authResponse.toString('utf8').replace(/\0+$/, '') } : {}),
            authResponse: resp.authResponse.toString('hex'),
            scramble: scramble.toString('hex'),
            database: resp.database,
            attributes: resp.attributes,
            clientCapabilities: resp.capabilities.toString(16),
          });
          // A client announcing another plugin (MySQL 8's caching_sha2_password) is switched to the
          // account's mysql_native_password with the same scramble, as the server does.
          if (!clear && plugin !== flavour.defaultPlugin && flavour.defaultPlugin === nativePlugin) {
            stage = 'native-switch';
            switchSeq = pkt.seq + 1;
            c.send(
              mysqlPacket(switchSeq, authSwitchRequest(nativePlugin, Buffer.concat([scramble, Buffer.from([0])]))),
            );
            return pkt.size;
          }
          const known = users.get(resp.username);
          if (known !== undefined) {
            const given = clear ? resp.authResponse.toString('utf8').replace(/\0+$/, '') : null;
            const ok =
              given !== null
                ? given === known
                : plugin === 'mysql_native_password' &&
                  (known === ''
                    ? resp.authResponse.length === 0
                    : resp.authResponse.equals(nativeToken(known, scramble)));
            if (ok) {
              accept(c, pkt.seq + 1, resp.username, resp.database);
              return pkt.size;
            }
          }
          if (!clear && acceptsClearSwitch(resp)) {
            stage = 'switched';
            switchSeq = pkt.seq + 1;
            c.send(mysqlPacket(switchSeq, authSwitchRequest(clearPlugin, Buffer.alloc(0))));
            return pkt.size;
          }
          c.end(mysqlPacket(pkt.seq + 1, accessDenied(resp.username, c.src, resp.authResponse.length > 0)));
          return pkt.size;
        }
        if (stage === 'native-switch') {
          // The answer to the native switch: the 20-byte token for our scramble (empty: no password).
          const token = Buffer.from(pkt.payload.subarray(0, 64));
          const user = login?.username ?? '';
          c.capture('auth', {
            method: nativePlugin,
            username: user,
            authResponse: token.toString('hex'),
            scramble: scramble.toString('hex'),
            database: login?.database ?? null,
          });
          const known = users.get(user);
          if (known !== undefined && (known === '' ? token.length === 0 : token.equals(nativeToken(known, scramble)))) {
            accept(c, pkt.seq + 1, user, login?.database ?? null);
            return pkt.size;
          }
          c.end(mysqlPacket(pkt.seq + 1, accessDenied(user, c.src, token.length > 0)));
          return pkt.size;
        }
        // The answer to our clear-password switch: the password, NUL-terminated.
        const password = pkt.payload.toString('utf8').replace(/\0+$/, '').slice(0, 256);
        const user = login?.username ?? '';
        c.capture('auth', {
          method: clearPlugin,
          username: user,
          password,
          database: login?.database ?? null,
          attributes: login?.attributes ?? {},
        });
        if (users.get(user) === password) {
          accept(c, pkt.seq + 1, user, login?.database ?? null);
          return pkt.size;
        }
        c.end(mysqlPacket(pkt.seq + 1, accessDenied(user, c.src, password.length > 0)));
        return pkt.size;
      },
    );
    conn.send(mysqlPacket(0, handshakeV10(flavour, connectionId, scramble)));
  };

  const listener = await listenTcp({
    host: ctx.host,
    port: ctx.port(3306),
    capture: ctx.capture,
    log: ctx.log,
    onConnection,
  });
  return { bound: [listener.bound], close: listener.close };
}

export const mysqlService: ServiceModule = { name: 'mysql', start };

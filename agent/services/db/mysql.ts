import type net from 'node:net';
import { randomInt } from 'node:crypto';
import { distros } from '../../../shared/catalog/distros';
import { ProtocolError, runBinarySession } from '../kit/binary-session';
import {
  accessDenied,
  authSwitchRequest,
  errPacket,
  handshakeV10,
  mysqlFlavour,
  mysqlLimits,
  mysqlPacket,
  newScramble,
  parseHandshakeResponse,
  readMysqlPacket,
  type HandshakeResponse,
} from './mysql-codec';
import { personaString } from '../kit/persona';
import { deckySecureContext } from '../kit/tls-cert';
import { listenTcp, type ConnectionMeta } from '../kit/tcp-listener';
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
 */
export const mysqlSessionLimits = { idleMs: 10_000, maxMessages: 4 } as const;

const clearPlugin = 'mysql_clear_password';

/** Clients whose library sends the clear password when asked, without an opt-in flag. */
function acceptsClearSwitch(resp: HandshakeResponse): boolean {
  const name = resp.attributes._client_name ?? '';
  return /libmariadb|mariadb connector/i.test(name);
}

async function start(ctx: ServiceContext): Promise<RunningService> {
  const version = personaString(ctx.persona, 'version', distros[ctx.decky.distro].mysqlVersion);
  const flavour = mysqlFlavour(version);
  let nextConnectionId = randomInt(8, 400);
  const secureContext = await deckySecureContext(ctx);

  const onConnection = (socket: net.Socket, meta: ConnectionMeta) => {
    const scramble = newScramble();
    const connectionId = nextConnectionId++;
    let stage: 'handshake' | 'switched' = 'handshake';
    let login: HandshakeResponse | null = null;

    const conn = runBinarySession(
      ctx,
      socket,
      meta,
      { maxBufferBytes: mysqlLimits.maxPacket + 4, ...mysqlSessionLimits },
      (buf, c) => {
        let pkt;
        try {
          pkt = readMysqlPacket(buf);
        } catch (err) {
          // The server answers an oversized or garbled login with "Bad handshake" before hanging up.
          c.send(mysqlPacket(2, errPacket(1043, '08S01', 'Bad handshake')));
          throw err;
        }
        if (!pkt) return 0;
        if (stage === 'handshake') {
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
            c.startTls(secureContext, { noReply: true });
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
          if (!clear && acceptsClearSwitch(resp)) {
            stage = 'switched';
            c.send(mysqlPacket(pkt.seq + 1, authSwitchRequest(clearPlugin, Buffer.alloc(0))));
            return pkt.size;
          }
          c.end(mysqlPacket(pkt.seq + 1, accessDenied(resp.username, c.src, resp.authResponse.length > 0)));
          return pkt.size;
        }
        // The answer to our switch: the password, NUL-terminated.
        const password = pkt.payload.toString('utf8').replace(/\0+$/, '').slice(0, 256);
        const user = login?.username ?? '';
        c.capture('auth', {
          method: clearPlugin,
          username: user,
          password,
          database: login?.database ?? null,
          attributes: login?.attributes ?? {},
        });
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

import type net from 'node:net';
import { distros } from '../../../shared/catalog/distros';
import { ProtocolError, runBinarySession } from '../kit/binary-session';
import {
  loginFailed,
  parseLogin7,
  parsePrelogin,
  preloginOptions,
  preloginResponse,
  readTdsPacket,
  tdsLimits,
  tdsPacket,
  tdsTypes,
} from './tds-codec';
import { deckyHostname, personaString } from '../kit/persona';
import { listenTcp, type ConnectionMeta } from '../kit/tcp-listener';
import type { RunningService, ServiceContext, ServiceModule } from '../kit/types';

/**
 * SQL Server's TDS endpoint: PRELOGIN answered with the persona's version and no encryption,
 * LOGIN7 decoded (the password is only obfuscated, so it is recorded in clear) and refused with
 * error 18456. The login timeout of the real server (about 60 s) bounds a session.
 */
export const mssqlSessionLimits = { idleMs: 60_000, maxMessages: 16 } as const;

async function start(ctx: ServiceContext): Promise<RunningService> {
  const version = personaString(ctx.persona, 'version', distros[ctx.decky.distro].mssqlVersion);
  const serverName = personaString(ctx.persona, 'hostname', deckyHostname(ctx.decky)).split('.')[0]!.toUpperCase();

  const onConnection = (socket: net.Socket, meta: ConnectionMeta) => {
    // A message may span several packets (status without EOM); they are joined, within a cap.
    let parts: Buffer[] = [];
    let partsBytes = 0;

    runBinarySession(ctx, socket, meta, { maxBufferBytes: tdsLimits.maxPacket, ...mssqlSessionLimits }, (buf, c) => {
      const pkt = readTdsPacket(buf);
      if (!pkt) return 0;
      parts.push(pkt.payload);
      partsBytes += pkt.payload.length;
      if (partsBytes > tdsLimits.maxMessage) throw new ProtocolError(`TDS message over ${tdsLimits.maxMessage} bytes`);
      if (!pkt.eom) return pkt.size;
      const payload = Buffer.concat(parts);
      parts = [];
      partsBytes = 0;

      switch (pkt.type) {
        case tdsTypes.prelogin: {
          const opts = parsePrelogin(payload);
          const clientVersion = opts.get(preloginOptions.version);
          c.capture('request', {
            type: 'prelogin',
            clientVersion: clientVersion ? clientVersion.toString('hex') : null,
            encryption: opts.get(preloginOptions.encryption)?.[0] ?? null,
            instance: opts.get(preloginOptions.instOpt)?.toString('latin1').replace(/\0+$/, '') ?? null,
          });
          c.send(tdsPacket(tdsTypes.reply, preloginResponse(version, opts)));
          return pkt.size;
        }
        case tdsTypes.login7: {
          const login = parseLogin7(payload);
          c.capture('auth', {
            method: login.sspi ? 'sspi' : 'sql',
            username: login.username,
            ...(login.sspi ? {} : { password: login.password }),
            hostname: login.hostname,
            appname: login.appname,
            library: login.library,
            database: login.database,
            servername: login.servername,
            language: login.language,
            clientPid: login.clientPid,
            tdsVersion: login.tdsVersion.toString(16),
          });
          c.end(tdsPacket(tdsTypes.reply, loginFailed(login.username, serverName, login.tdsVersion)));
          return pkt.size;
        }
        default:
          // Batches, RPCs or old TDS 4.2/5.0 logins before a successful login: the server drops them.
          throw new ProtocolError(`TDS packet type 0x${pkt.type.toString(16)} before login`);
      }
    });
  };

  const listener = await listenTcp({
    host: ctx.host,
    port: ctx.port(1433),
    capture: ctx.capture,
    log: ctx.log,
    onConnection,
  });
  return { bound: [listener.bound], close: listener.close };
}

export const mssqlService: ServiceModule = { name: 'mssql', start };

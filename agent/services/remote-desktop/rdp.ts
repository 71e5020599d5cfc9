import { randomBytes } from 'node:crypto';
import tls from 'node:tls';
import type net from 'node:net';
import { join } from 'node:path';
import { createFrameReader } from '../kit/frame-reader';
import { buildChallenge, describeAuthenticate, findNtlm, parseNtlm } from '../codecs/ntlm-codec';
import { loadOrCreatePersonaCert } from '../kit/persona-cert';
import { personaBool } from '../kit/persona';
import {
  connectionConfirm,
  derLength,
  mcsClientName,
  negotiationFailure,
  parseConnectionRequest,
  parseTsRequest,
  protocolNames,
  rdpProtocols,
  tsRequest,
} from './rdp-codec';
import { tpktLength } from '../codecs/tpkt-codec';
import { listenTcp, type ConnectionMeta } from '../kit/tcp-listener';
import type { RunningService, ServiceContext, ServiceModule } from '../kit/types';
import { looksWindows, windowsNtlmIdentity } from '../kit/windows-persona';

/**
 * RDP as a Windows host answers it: X.224 negotiation (NLA when the persona requires it), then TLS
 * with the decky's self-signed certificate and, under NLA, CredSSP/NTLMSSP up to the AUTHENTICATE
 * message, whose user, domain, workstation and NTLMv2 response are captured before the logon fails.
 */
export const rdpLimits = {
  maxFrameBytes: 16_384,
  maxTsRequestBytes: 65_536,
  idleMs: 30_000,
  handshakeMs: 15_000,
} as const;

const STATUS_LOGON_FAILURE = 0xc000006d;
const failureCodes = { sslRequired: 1, hybridRequired: 5 } as const;

async function start(ctx: ServiceContext): Promise<RunningService> {
  const nla = personaBool(ctx.persona, 'nla', looksWindows(ctx.decky));
  const identity = windowsNtlmIdentity(ctx.decky, ctx.persona);
  const cert = await loadOrCreatePersonaCert(
    join(ctx.dataDir, 'rdp'),
    identity.dnsComputer.includes('.') ? identity.dnsComputer : identity.computer,
  );
  const secureContext = tls.createSecureContext({
    cert: cert.certPem,
    key: cert.keyPem,
    maxVersion: 'TLSv1.2',
    minVersion: 'TLSv1',
  });

  const onConnection = (socket: net.Socket, meta: ConnectionMeta) => {
    const { src, session } = meta;
    const bad = (reason: string, s: net.Socket = socket) => {
      ctx.capture({ src, kind: 'malformed', data: { session, reason: reason.slice(0, 200) } });
      s.destroy();
      socket.destroy();
    };
    socket.setTimeout(rdpLimits.idleMs, () => socket.destroy());
    const reader = createFrameReader({
      headerBytes: 4,
      maxFrameBytes: rdpLimits.maxFrameBytes,
      frameLength: tpktLength,
    });

    const afterTls = (secure: tls.TLSSocket, selected: number) => {
      secure.on('error', (err) => ctx.log.debug('rdp tls error', { src, err }));
      secure.setTimeout(rdpLimits.idleMs, () => secure.destroy());
      let pending: Buffer = Buffer.alloc(0);
      let challenged = false;
      const challenge = randomBytes(8);
      let version = 2;
      secure.on('secure', () =>
        ctx.capture({
          src,
          kind: 'command',
          data: { session, command: 'TLS', protocol: secure.getProtocol(), cipher: secure.getCipher().name },
        }),
      );
      secure.on('data', (chunk: Buffer) => {
        pending = Buffer.concat([pending, chunk]);
        if (pending.length > rdpLimits.maxTsRequestBytes) return bad('TLS payload too large', secure);
        try {
          if (selected !== rdpProtocols.hybrid) {
            // TLS-only security: the next PDU is the MCS Connect Initial with the client's name.
            const len = pending.length >= 4 ? tpktLength(pending) : null;
            if (typeof len === 'string') return bad(len, secure);
            if (len === null || pending.length < len) return;
            ctx.capture({
              src,
              kind: 'command',
              data: { session, command: 'MCS_CONNECT_INITIAL', clientName: mcsClientName(pending.subarray(0, len)) },
            });
            secure.end();
            return;
          }
          for (;;) {
            const len = derLength(pending);
            if (len === null || pending.length < len) return;
            if (len > rdpLimits.maxTsRequestBytes) return bad('TSRequest too large', secure);
            const req = parseTsRequest(pending.subarray(0, len));
            pending = pending.subarray(len);
            version = Math.max(2, Math.min(req.version, 6));
            const raw = req.negoToken ? findNtlm(req.negoToken) : null;
            if (!raw) return bad('TSRequest without an NTLMSSP token', secure);
            const ntlm = parseNtlm(raw);
            if (ntlm.type === 1 && !challenged) {
              challenged = true;
              ctx.capture({
                src,
                kind: 'command',
                data: {
                  session,
                  command: 'CREDSSP_NEGOTIATE',
                  credsspVersion: req.version,
                  workstation: ntlm.workstation,
                  domain: ntlm.domain,
                },
              });
              secure.write(tsRequest(version, { negoToken: buildChallenge(identity, ntlm.flags, challenge) }));
              continue;
            }
            if (ntlm.type !== 3) return bad('unexpected NTLMSSP message', secure);
            ctx.capture({
              src,
              kind: 'auth',
              data: {
                session,
                method: 'credssp-ntlm',
                credsspVersion: req.version,
                ...describeAuthenticate(ntlm, challenge),
                success: false,
              },
            });
            if (version >= 3) secure.write(tsRequest(version, { errorCode: STATUS_LOGON_FAILURE }));
            secure.end();
            return;
          }
        } catch (err) {
          bad(err instanceof Error ? err.message : String(err), secure);
        }
      });
    };

    const onData = (chunk: Buffer) => {
      const { frames, error } = reader.push(chunk);
      const first = frames[0];
      if (first) {
        socket.off('data', onData);
        try {
          const cr = parseConnectionRequest(first);
          const requested = cr.requestedProtocols;
          ctx.capture({
            src,
            kind: 'command',
            data: {
              session,
              command: 'X224_CONNECTION_REQUEST',
              username: cr.cookie,
              routingToken: cr.routingToken,
              requestedProtocols: requested === null ? null : protocolNames(requested),
            },
          });
          let selected: number | null;
          if (nla) {
            if (requested === null || !(requested & rdpProtocols.hybrid)) {
              socket.end(negotiationFailure(failureCodes.hybridRequired));
              return;
            }
            selected = rdpProtocols.hybrid;
          } else if (requested === null) selected = null;
          else if (requested & rdpProtocols.ssl) selected = rdpProtocols.ssl;
          else {
            socket.end(negotiationFailure(failureCodes.sslRequired));
            return;
          }
          socket.write(connectionConfirm(selected));
          if (selected === null) {
            socket.end();
            return;
          }
          const secure = new tls.TLSSocket(socket, { isServer: true, secureContext });
          afterTls(secure, selected);
        } catch (err) {
          bad(err instanceof Error ? err.message : String(err));
        }
        return;
      }
      if (error) bad(error);
    };
    socket.on('data', onData);
  };

  const listener = await listenTcp({
    host: ctx.host,
    port: ctx.port(3389),
    capture: ctx.capture,
    log: ctx.log,
    onConnection,
  });
  return { bound: [listener.bound], close: listener.close };
}

export const rdpService: ServiceModule = { name: 'rdp', start };

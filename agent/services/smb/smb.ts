import { randomBytes } from 'node:crypto';
import type net from 'node:net';
import { deckyBytes } from '../kit/decky-seed';
import { createFrameReader } from '../kit/frame-reader';
import { buildChallenge, describeAuthenticate, findNtlm, parseNtlm } from '../codecs/ntlm-codec';
import { personaString } from '../kit/persona';
import {
  dialectName,
  echoBody,
  errorBody,
  frame,
  negotiateBody,
  parseDialectSetting,
  parseNegotiate,
  parseSessionSetup,
  parseSmb,
  responseHeader,
  sessionSetupBody,
  smbCommand,
  smbDialects,
  smbStatus,
  type Smb2Header,
} from './smb-codec';
import { negTokenInit, negTokenRespChallenge } from '../codecs/spnego-codec';
import { listenTcp, type ConnectionMeta } from '../kit/tcp-listener';
import type { RunningService, ServiceContext, ServiceModule } from '../kit/types';
import { windowsNtlmIdentity } from '../kit/windows-persona';

/**
 * SMB answering like a modern Windows host with SMB1 disabled: the SMB1 negotiate of old clients is
 * upgraded to SMB2 (dialect 2.???), NTLMSSP authentication always ends in STATUS_LOGON_FAILURE,
 * and the NTLMv2 response is captured for offline cracking. 139 speaks NetBIOS session service.
 */
export const smbLimits = { maxFrameBytes: 65_536, idleMs: 120_000, maxMessages: 64, maxLoginFails: 10 } as const;

const nbss = { message: 0x00, request: 0x81, positive: 0x82, negative: 0x83, keepalive: 0x85 } as const;

async function start(ctx: ServiceContext): Promise<RunningService> {
  const maxDialect = parseDialectSetting(personaString(ctx.persona, 'dialect', '3.1.1'));
  const identity = windowsNtlmIdentity(ctx.decky, ctx.persona, maxDialect);
  const domainMember = identity.domain !== identity.computer;
  const serverGuid = deckyBytes(ctx.decky, 'smb-server-guid', 16);
  // Domain controllers require signing; members and workstations only enable it.
  const securityMode = ctx.decky.archetype === 'domain-controller' ? 0x03 : 0x01;
  const offered = smbDialects.filter((d) => d <= maxDialect);
  // Windows hands out session ids from a counter whose start differs per boot: random per start, so
  // neither two deckies nor two restarts of one decky share them.
  let nextSession = randomBytes(8).readBigUInt64LE(0) & 0x0000_ffff_ffff_0000n;

  const onConnection = (netbios: boolean) => (socket: net.Socket, meta: ConnectionMeta) => {
    const { src, session } = meta;
    let sessionReady = !netbios;
    let messages = 0;
    let fails = 0;
    let dialect = 0;
    let smbSession = 0n;
    let ntlmWorkstation = '';
    let challenge = randomBytes(8);
    const reader = createFrameReader({
      headerBytes: 4,
      maxFrameBytes: smbLimits.maxFrameBytes,
      frameLength: (h) => {
        const type = h.readUInt8(0);
        if (type === nbss.message) return 4 + (h.readUInt32BE(0) & 0xffffff);
        if (netbios && (type === nbss.request || type === nbss.keepalive)) return 4 + h.readUInt16BE(2);
        return `unexpected session-service type 0x${type.toString(16)}`;
      },
    });
    const bad = (reason: string) => {
      ctx.capture({ src, kind: 'malformed', data: { session, reason: reason.slice(0, 200) } });
      socket.destroy();
    };
    const send = (h: Smb2Header, status: number, body: Buffer, sessionId = h.sessionId) => {
      const head = responseHeader({
        command: h.command,
        status,
        messageId: h.messageId,
        sessionId,
        credits: Math.max(1, Math.min(h.creditRequest, 64)),
        treeId: h.treeId,
      });
      if (socket.writable) socket.write(frame(Buffer.concat([head, body])));
    };
    socket.setTimeout(smbLimits.idleMs, () => socket.destroy());

    const negotiateResponse = (d: number, h: Smb2Header, ciphers: number[]) => {
      const body = negotiateBody({
        dialect: d,
        serverGuid,
        securityMode,
        securityBlob: negTokenInit(domainMember),
        now: Date.now(),
        cipher: ciphers.includes(2) ? 2 : ciphers.includes(1) ? 1 : (ciphers[0] ?? 1),
        salt: randomBytes(32),
      });
      send(h, smbStatus.success, body);
    };

    const handle = (msg: Buffer) => {
      const req = parseSmb(msg);
      if (req.kind === 'smb1-negotiate') {
        ctx.capture({ src, kind: 'command', data: { session, command: 'SMB1_NEGOTIATE', dialects: req.dialects } });
        const wildcard = req.dialects.includes('SMB 2.???');
        if (!wildcard && !req.dialects.includes('SMB 2.002')) {
          // SMB1 is disabled on current Windows: an SMB1-only client is simply disconnected.
          socket.destroy();
          return;
        }
        const h: Smb2Header = {
          command: smbCommand.negotiate,
          creditRequest: 1,
          messageId: 0n,
          sessionId: 0n,
          treeId: 0,
          flags: 0,
        };
        negotiateResponse(wildcard && maxDialect > 0x0202 ? 0x02ff : 0x0202, h, []);
        return;
      }
      const { header: h, body } = req;
      switch (h.command) {
        case smbCommand.negotiate: {
          const n = parseNegotiate(body, msg);
          const chosen = [...offered].reverse().find((d) => n.dialects.includes(d));
          ctx.capture({
            src,
            kind: 'command',
            data: {
              session,
              command: 'NEGOTIATE',
              dialects: n.dialects.map(dialectName),
              clientGuid: n.clientGuid,
              chosen: chosen ? dialectName(chosen) : null,
            },
          });
          if (chosen === undefined) {
            send(h, smbStatus.notSupported, errorBody());
            socket.end();
            return;
          }
          dialect = chosen;
          negotiateResponse(chosen, h, n.ciphers);
          return;
        }
        case smbCommand.sessionSetup: {
          if (!dialect) return bad('SESSION_SETUP before NEGOTIATE');
          const setup = parseSessionSetup(body, msg);
          const raw = findNtlm(setup.securityBlob);
          if (!raw) return bad('SESSION_SETUP without an NTLMSSP token');
          const ntlm = parseNtlm(raw);
          if (ntlm.type === 1) {
            ntlmWorkstation = ntlm.workstation;
            challenge = randomBytes(8);
            if (smbSession === 0n) {
              nextSession += 1n;
              smbSession = nextSession;
            }
            send(
              h,
              smbStatus.moreProcessingRequired,
              sessionSetupBody(negTokenRespChallenge(buildChallenge(identity, ntlm.flags, challenge))),
              smbSession,
            );
            return;
          }
          fails += 1;
          ctx.capture({
            src,
            kind: 'auth',
            data: {
              session,
              method: 'ntlmssp',
              dialect: dialectName(dialect),
              ...describeAuthenticate(ntlm, challenge),
              negotiateWorkstation: ntlmWorkstation,
              success: false,
            },
          });
          send(h, smbStatus.logonFailure, errorBody(), smbSession);
          smbSession = 0n;
          if (fails >= smbLimits.maxLoginFails) socket.end();
          return;
        }
        case smbCommand.echo:
          send(h, smbStatus.success, echoBody());
          return;
        case smbCommand.logoff:
          send(h, smbStatus.userSessionDeleted, errorBody());
          return;
        default:
          ctx.capture({ src, kind: 'command', data: { session, command: `0x${h.command.toString(16)}` } });
          send(h, h.sessionId === 0n ? smbStatus.userSessionDeleted : smbStatus.accessDenied, errorBody());
      }
    };

    socket.on('data', (chunk: Buffer) => {
      const { frames, error } = reader.push(chunk);
      for (const f of frames) {
        if (socket.destroyed) return;
        const type = f.readUInt8(0);
        if (type === nbss.keepalive) continue;
        if (type === nbss.request) {
          // Any called name is accepted, as Windows does for *SMBSERVER and its own name.
          sessionReady = true;
          if (socket.writable) socket.write(Buffer.from([nbss.positive, 0, 0, 0]));
          continue;
        }
        if (!sessionReady) {
          // Windows answers with NEGATIVE SESSION RESPONSE "unspecified error" (nmap knows it by this).
          if (socket.writable) socket.write(Buffer.from([nbss.negative, 0, 0, 1, 0x8f]));
          ctx.capture({
            src,
            kind: 'malformed',
            data: { session, reason: 'session message before a NetBIOS session request' },
          });
          socket.end();
          return;
        }
        if (++messages > smbLimits.maxMessages) return bad(`more than ${smbLimits.maxMessages} messages`);
        try {
          handle(f.subarray(4));
        } catch (err) {
          return bad(err instanceof Error ? err.message : String(err));
        }
      }
      if (error) bad(error);
    });
  };

  const l445 = await listenTcp({
    host: ctx.host,
    port: ctx.port(445),
    capture: ctx.capture,
    log: ctx.log,
    onConnection: onConnection(false),
  });
  try {
    const l139 = await listenTcp({
      host: ctx.host,
      port: ctx.port(139),
      capture: ctx.capture,
      log: ctx.log,
      onConnection: onConnection(true),
    });
    return {
      bound: [l445.bound, l139.bound],
      close: async () => void (await Promise.all([l445.close(), l139.close()])),
    };
  } catch (err) {
    await l445.close();
    throw err;
  }
}

export const smbService: ServiceModule = { name: 'smb', start };

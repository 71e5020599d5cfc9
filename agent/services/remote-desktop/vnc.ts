import { randomBytes } from 'node:crypto';
import type net from 'node:net';
import { personaString } from '../kit/persona';
import { listenTcp, type ConnectionMeta } from '../kit/tcp-listener';
import type { RunningService, ServiceContext, ServiceModule } from '../kit/types';

/**
 * RFB (RFC 6143) up to VNC authentication: the decky offers security type 2 only, sends a fresh
 * 16-byte challenge, records the client's DES response (crackable offline against the challenge)
 * and fails the login the way a real server does for each protocol version.
 */
export const vncLimits = { idleMs: 30_000, maxPendingBytes: 256 } as const;

export const vncSecurity = { invalid: 0, none: 1, vncAuth: 2 } as const;

/** Persona `003.008`, `RFB 003.008` or `3.8` → the 12-byte ProtocolVersion line. */
export function rfbVersionLine(setting: string): string {
  const m = /(\d{1,3})\.(\d{1,3})/.exec(setting);
  const major = (m?.[1] ?? '3').padStart(3, '0');
  const minor = (m?.[2] ?? '8').padStart(3, '0');
  return `RFB ${major}.${minor}\n`;
}

/** `RFB 003.007\n` → 7 (minor of a 3.x client; 3.3 for anything unknown, per RFC 6143 §7.1.1). */
export function clientMinor(line: string): number | null {
  const m = /^RFB (\d{3})\.(\d{3})\n$/.exec(line);
  if (!m) return null;
  const major = Number(m[1]);
  const minor = Number(m[2]);
  if (major !== 3) return major > 3 ? 8 : 3;
  return minor >= 8 ? 8 : minor === 7 ? 7 : 3;
}

export function securityResultFailed(minor: number, reason: string): Buffer {
  const head = Buffer.alloc(4);
  head.writeUInt32BE(1);
  if (minor < 8) return head;
  const r = Buffer.from(reason, 'latin1');
  const len = Buffer.alloc(4);
  len.writeUInt32BE(r.length);
  return Buffer.concat([head, len, r]);
}

async function start(ctx: ServiceContext): Promise<RunningService> {
  const version = rfbVersionLine(personaString(ctx.persona, 'version', '003.008'));
  const serverMinor = clientMinor(version) ?? 8;

  const onConnection = (socket: net.Socket, meta: ConnectionMeta) => {
    const { src, session } = meta;
    let buf = Buffer.alloc(0);
    let stage: 'version' | 'security' | 'response' | 'done' = 'version';
    let minor = 8;
    let clientVersion = '';
    const challenge = randomBytes(16);
    socket.setTimeout(vncLimits.idleMs, () => socket.destroy());
    const bad = (reason: string) => {
      ctx.capture({ src, kind: 'malformed', data: { session, stage, reason } });
      socket.destroy();
    };
    socket.write(version);

    socket.on('data', (chunk: Buffer) => {
      if (stage === 'done') return;
      buf = Buffer.concat([buf, chunk]);
      if (buf.length > vncLimits.maxPendingBytes) return bad('too much data before authentication');
      if (stage === 'version') {
        if (buf.length < 12) return;
        clientVersion = buf.subarray(0, 12).toString('latin1');
        const m = clientMinor(clientVersion);
        if (m === null) return bad(`bad ProtocolVersion ${JSON.stringify(clientVersion)}`);
        // The session runs at the lower of the two versions (RFC 6143 §7.1.1).
        minor = Math.min(m, serverMinor);
        buf = buf.subarray(12);
        ctx.capture({
          src,
          kind: 'command',
          data: { session, command: 'ProtocolVersion', clientVersion: clientVersion.trim() },
        });
        if (minor === 3) {
          const t = Buffer.alloc(4);
          t.writeUInt32BE(vncSecurity.vncAuth);
          socket.write(Buffer.concat([t, challenge]));
          stage = 'response';
        } else {
          socket.write(Buffer.from([1, vncSecurity.vncAuth]));
          stage = 'security';
        }
      }
      if (stage === 'security') {
        if (buf.length < 1) return;
        const chosen = buf.readUInt8(0);
        buf = buf.subarray(1);
        if (chosen !== vncSecurity.vncAuth) {
          ctx.capture({ src, kind: 'command', data: { session, command: 'SecurityType', securityType: chosen } });
          stage = 'done';
          socket.end(securityResultFailed(minor, 'Authentication failure'));
          return;
        }
        socket.write(challenge);
        stage = 'response';
      }
      if (stage === 'response') {
        if (buf.length < 16) return;
        ctx.capture({
          src,
          kind: 'auth',
          data: {
            session,
            method: 'vnc-des',
            clientVersion: clientVersion.trim(),
            challenge: challenge.toString('hex'),
            response: buf.subarray(0, 16).toString('hex'),
            success: false,
          },
        });
        stage = 'done';
        socket.end(securityResultFailed(minor, 'Authentication failure'));
      }
    });
  };

  const listener = await listenTcp({
    host: ctx.host,
    port: ctx.port(5900),
    capture: ctx.capture,
    log: ctx.log,
    onConnection,
  });
  return { bound: [listener.bound], close: listener.close };
}

export const vncService: ServiceModule = { name: 'vnc', start };

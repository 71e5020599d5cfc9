import { randomBytes } from 'node:crypto';
import type net from 'node:net';
import type { DistroName } from '../../../shared/catalog/distros';
import { personaString } from '../kit/persona';
import { header, messageLength, parseDigest, parseRequest, type SipRequest } from './sip-codec';
import { listenTcp, type ConnectionMeta } from '../kit/tcp-listener';
import { listenUdp, type DatagramMeta } from '../kit/udp-listener';
import type { RunningService, ServiceContext, ServiceModule } from '../kit/types';

/**
 * A SIP registrar answering like Asterisk's chan_sip with alwaysauthreject: OPTIONS is answered,
 * REGISTER and INVITE are challenged, and every Digest response is captured (and re-challenged, so
 * a guessing tool never learns whether the extension exists).
 */
export const sipTcpLimits = { idleMs: 30_000, maxMessages: 64 } as const;

/** The Asterisk each distro would package or, where it packages none, a current source build. */
const asteriskVersions: Record<DistroName, string> = {
  debian: '20.9.3',
  ubuntu22: '18.10.0~dfsg+~cs6.10.40431411-2',
  ubuntu20: '16.2.1~dfsg-2ubuntu1',
  rocky9: '18.24.2',
  centos7: '16.30.1',
  alpine: '20.9.3',
  fedora: '18.24.2',
  kali: '20.9.3',
  arch: '21.5.0',
  windows: '18.24.2',
};

const allow = 'INVITE, ACK, CANCEL, OPTIONS, BYE, REFER, SUBSCRIBE, NOTIFY, INFO, PUBLISH';

export type SipReplyContext = Readonly<{
  server: string;
  src: string;
  srcPort: number;
  transport: 'UDP' | 'TCP';
  localIp: string;
  localPort: number;
}>;

/** Asterisk's 8-hex-digit tags and nonces. */
const hex8 = () => randomBytes(4).toString('hex');

export function sipResponse(req: SipRequest, status: string, c: SipReplyContext, extra: string[] = []): string {
  const lines = [`SIP/2.0 ${status}`];
  for (const via of req.headers.get('via') ?? []) {
    // The topmost Via gets received/rport (RFC 3581), as Asterisk adds them.
    const top = lines.length === 1;
    lines.push(`Via: ${top ? via.replace(/;rport(?=;|$)/, `;received=${c.src};rport=${c.srcPort}`) : via}`);
  }
  const from = header(req, 'from');
  if (from) lines.push(`From: ${from}`);
  const to = header(req, 'to');
  if (to) lines.push(`To: ${/;tag=/i.test(to) ? to : `${to};tag=as${hex8()}`}`);
  const callId = header(req, 'call-id');
  if (callId) lines.push(`Call-ID: ${callId}`);
  const cseq = header(req, 'cseq');
  if (cseq) lines.push(`CSeq: ${cseq}`);
  lines.push(
    `Server: ${c.server}`,
    `Allow: ${allow}`,
    'Supported: replaces, timer',
    ...extra,
    'Content-Length: 0',
    '',
    '',
  );
  return lines.join('\r\n');
}

async function start(ctx: ServiceContext): Promise<RunningService> {
  const server = personaString(ctx.persona, 'userAgent', `Asterisk PBX ${asteriskVersions[ctx.decky.distro]}`);

  const handle = (msg: Buffer, c: SipReplyContext, session: string): string | null => {
    const { src } = c;
    let req: SipRequest;
    try {
      req = parseRequest(msg);
    } catch (err) {
      ctx.capture({
        src,
        kind: 'malformed',
        data: { session, transport: c.transport, reason: err instanceof Error ? err.message : String(err) },
      });
      return null;
    }
    const ua = header(req, 'user-agent')?.slice(0, 256);
    ctx.capture({
      src,
      kind: 'request',
      data: {
        session,
        transport: c.transport,
        method: req.method.slice(0, 32),
        uri: req.uri.slice(0, 256),
        from: header(req, 'from')?.slice(0, 256),
        to: header(req, 'to')?.slice(0, 256),
        userAgent: ua,
      },
    });
    const authHeader = header(req, 'authorization') ?? header(req, 'proxy-authorization');
    const digest = authHeader ? parseDigest(authHeader) : null;
    if (digest) {
      ctx.capture({
        src,
        kind: 'auth',
        data: {
          session,
          method: 'sip-digest',
          sipMethod: req.method.slice(0, 32),
          username: digest.username ?? '',
          realm: digest.realm,
          nonce: digest.nonce,
          uri: digest.uri,
          response: digest.response,
          algorithm: digest.algorithm ?? 'MD5',
          qop: digest.qop,
          nc: digest.nc,
          cnonce: digest.cnonce,
          userAgent: ua,
          success: false,
        },
      });
    }
    const challenge = (name: string) => `${name}: Digest algorithm=MD5, realm="asterisk", nonce="${hex8()}"`;
    switch (req.method) {
      case 'OPTIONS':
        return sipResponse(req, '200 OK', c, [`Contact: <sip:${c.localIp}:${c.localPort}>`, 'Accept: application/sdp']);
      case 'REGISTER':
        return sipResponse(req, '401 Unauthorized', c, [challenge('WWW-Authenticate')]);
      case 'INVITE':
      case 'SUBSCRIBE':
      case 'MESSAGE':
      case 'PUBLISH':
        return sipResponse(req, '407 Proxy Authentication Required', c, [challenge('Proxy-Authenticate')]);
      case 'ACK':
        return null;
      case 'BYE':
      case 'CANCEL':
      case 'INFO':
      case 'NOTIFY':
      case 'REFER':
      case 'PRACK':
      case 'UPDATE':
        return sipResponse(req, '481 Call leg/transaction does not exist', c);
      default:
        return sipResponse(req, '501 Method Not Implemented', c);
    }
  };

  const onDatagram = (msg: Buffer, meta: DatagramMeta, reply: (b: Uint8Array) => void) => {
    const out = handle(
      msg,
      {
        server,
        src: meta.src,
        srcPort: meta.srcPort,
        transport: 'UDP',
        localIp: ctx.decky.ip,
        localPort: meta.localPort,
      },
      meta.session,
    );
    if (out) reply(Buffer.from(out, 'utf8'));
  };

  const onConnection = (socket: net.Socket, meta: ConnectionMeta) => {
    let pending: Buffer = Buffer.alloc(0);
    let count = 0;
    socket.setTimeout(sipTcpLimits.idleMs, () => socket.destroy());
    const c: SipReplyContext = {
      server,
      src: meta.src,
      srcPort: meta.srcPort,
      transport: 'TCP',
      localIp: ctx.decky.ip,
      localPort: meta.localPort,
    };
    socket.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      try {
        for (;;) {
          // Keep-alive CRLFs (RFC 5626) between messages are skipped.
          while (pending.length >= 2 && pending.readUInt16BE(0) === 0x0d0a) pending = pending.subarray(2);
          const len = messageLength(pending);
          if (len === null) return;
          const msg = pending.subarray(0, len);
          pending = Buffer.from(pending.subarray(len));
          if (++count > sipTcpLimits.maxMessages) return socket.destroy();
          const out = handle(msg, c, meta.session);
          if (out && socket.writable) socket.write(out);
        }
      } catch (err) {
        ctx.capture({
          src: meta.src,
          kind: 'malformed',
          data: { session: meta.session, transport: 'TCP', reason: err instanceof Error ? err.message : String(err) },
        });
        socket.destroy();
      }
    });
  };

  const udp = await listenUdp({
    host: ctx.host,
    port: ctx.port(5060),
    capture: ctx.capture,
    log: ctx.log,
    onDatagram,
    maxDatagramBytes: 8_192,
  });
  try {
    const tcp = await listenTcp({
      host: ctx.host,
      port: ctx.port(5060),
      capture: ctx.capture,
      log: ctx.log,
      onConnection,
    });
    return { bound: [udp.bound, tcp.bound], close: async () => void (await Promise.all([udp.close(), tcp.close()])) };
  } catch (err) {
    await udp.close();
    throw err;
  }
}

export const sipService: ServiceModule = { name: 'sip', start };

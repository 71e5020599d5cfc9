import { createHash } from 'node:crypto';
import net from 'node:net';

export type ServerKexInit = Readonly<{
  ident: string;
  cookie: string;
  kex: string[];
  hostKey: string[];
  cipher: string[];
  mac: string[];
  compress: string[];
  /** HASSH-server: md5 of `kex;enc;mac;cmp` (server→client lists are what the server offers). */
  hassh: string;
}>;

const limits = { maxBytes: 64 * 1024, timeoutMs: 5_000 } as const;

/**
 * Reads a server's identification line and its first (unencrypted) KEXINIT over a raw socket,
 * sending only our own identification string, as HASSH tools do.
 */
export function readServerKexInit(host: string, port: number): Promise<ServerKexInit> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port });
    let buf = Buffer.alloc(0);
    const fail = (err: Error) => {
      socket.destroy();
      reject(err);
    };
    socket.setTimeout(limits.timeoutMs, () =>
      fail(new Error(`no KEXINIT from ${host}:${port} within ${limits.timeoutMs} ms`)),
    );
    socket.on('error', fail);
    socket.on('connect', () => socket.write('SSH-2.0-OpenSSH_9.2p1 hassh-probe\r\n'));
    socket.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      if (buf.length > limits.maxBytes) return fail(new Error('more than 64 KiB before a KEXINIT'));
      const eol = buf.indexOf('\r\n');
      if (eol < 0) return;
      const ident = buf.subarray(0, eol).toString('latin1');
      const pkt = buf.subarray(eol + 2);
      if (pkt.length < 5) return;
      const len = pkt.readUInt32BE(0);
      if (pkt.length < 4 + len) return;
      const payload = pkt.subarray(5, 4 + len - pkt.readUInt8(4));
      if (payload[0] !== 20) return fail(new Error(`first packet is type ${payload[0]}, not KEXINIT`));
      let at = 17;
      const list = () => {
        const n = payload.readUInt32BE(at);
        const s = payload.subarray(at + 4, at + 4 + n).toString('latin1');
        at += 4 + n;
        return s === '' ? [] : s.split(',');
      };
      const [kex, hostKey, cipherCs, cipherSc, macCs, macSc, cmpCs, cmpSc] = Array.from({ length: 8 }, list);
      void cipherCs;
      void macCs;
      void cmpCs;
      socket.destroy();
      const hassh = createHash('md5')
        .update([kex, cipherSc, macSc, cmpSc].map((l) => l!.join(',')).join(';'))
        .digest('hex');
      resolve({
        ident,
        cookie: payload.subarray(1, 17).toString('hex'),
        kex: kex!,
        hostKey: hostKey!,
        cipher: cipherSc!,
        mac: macSc!,
        compress: cmpSc!,
        hassh,
      });
    });
  });
}

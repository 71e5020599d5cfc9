import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { createServer, type Server, type TLSSocket } from 'node:tls';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** A CA (PEM paths) minted with openssl in `dir`, and a server certificate it signed for 127.0.0.1. */
export async function mintCollectorPki(dir: string, name: string): Promise<{ ca: string; key: string; cert: string }> {
  const p = (f: string) => join(dir, `${name}-${f}`);
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  await run('openssl', [
    'req',
    '-x509',
    ...ec,
    '-keyout',
    p('ca.key'),
    '-out',
    p('ca.pem'),
    '-days',
    '2',
    '-subj',
    `/CN=${name} CA`,
  ]);
  await run('openssl', ['req', ...ec, '-keyout', p('srv.key'), '-out', p('srv.csr'), '-subj', '/CN=collector']);
  await writeFile(p('ext.cnf'), 'subjectAltName=IP:127.0.0.1\n');
  await run('openssl', [
    'x509',
    '-req',
    '-in',
    p('srv.csr'),
    '-CA',
    p('ca.pem'),
    '-CAkey',
    p('ca.key'),
    '-CAcreateserial',
    '-out',
    p('srv.pem'),
    '-days',
    '2',
    '-extfile',
    p('ext.cnf'),
  ]);
  return { ca: p('ca.pem'), key: p('srv.key'), cert: p('srv.pem') };
}

/**
 * A syslog-over-TLS collector (RFC 5425 octet counting) on 127.0.0.1: it records each message, and
 * can be stopped and started again on the same port (a collector restart).
 */
export async function startTlsCollector(pki: { key: string; cert: string }, port = 0) {
  const [key, cert] = await Promise.all([readFile(pki.key), readFile(pki.cert)]);
  const messages: string[] = [];
  let server: Server | null = null;
  const sockets = new Set<TLSSocket>();
  const listen = (p: number) =>
    new Promise<number>((resolve, reject) => {
      const s = createServer({ key, cert }, (sock) => {
        sockets.add(sock);
        let buf = Buffer.alloc(0);
        sock.on('data', (b: Buffer) => {
          buf = Buffer.concat([buf, b]);
          for (;;) {
            const sp = buf.indexOf(0x20);
            if (sp < 0) break;
            const len = Number(buf.subarray(0, sp).toString());
            if (buf.length < sp + 1 + len) break;
            messages.push(buf.subarray(sp + 1, sp + 1 + len).toString());
            buf = buf.subarray(sp + 1 + len);
          }
        });
        sock.on('error', () => undefined);
        sock.on('close', () => sockets.delete(sock));
      });
      s.once('error', reject);
      s.listen(p, '127.0.0.1', () => resolve((s.address() as AddressInfo).port));
      server = s;
    });
  const boundPort = await listen(port);
  return {
    port: boundPort,
    messages,
    /** Ends every connection (TLS close_notify, then FIN) and stops listening. */
    async stop() {
      for (const s of sockets) s.end();
      await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
      server = null;
    },
    start: () => listen(boundPort),
  };
}

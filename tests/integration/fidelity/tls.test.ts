import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { join } from 'node:path';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpsService } from '../../../agent/services/http/https';
import { imapService } from '../../../agent/services/mail/imap';
import { makeTmpDir } from '../../helpers/tmp-dir';
import { startService, type ServiceHarness } from '../services/service-harness';
import { haveModSsl, startApacheSsl } from './real-apache-ssl';
import { haveDovecot, startRealDovecot } from './real-dovecot';
import { clientHello, serverHello, type ShapeOrError } from './tls-hello';
import { resumption } from './tls-resume';

/** The TLS ServerHello and certificate shape: Debian's apache2+mod_ssl and Dovecot vs our https and imap. */
const ip = { apache: '127.21.4.11', https: '127.21.4.12', dovecot: '127.21.4.13', imap: '127.21.4.14' };
const host = 'srv-web-01';

type CertShape = Record<string, string>;
async function certShape(addr: string, port: number): Promise<CertShape> {
  const der = await new Promise<Buffer>((resolve, reject) => {
    const s = tls.connect({ host: addr, port, servername: host, rejectUnauthorized: false }, () => {
      resolve(s.getPeerX509Certificate()?.raw ?? Buffer.alloc(0));
      s.destroy();
    });
    s.on('error', reject);
  });
  const c = new x509.X509Certificate(new Uint8Array(der));
  const days = Math.round((c.notAfter.getTime() - c.notBefore.getTime()) / 86_400_000);
  const alg = c.publicKey.algorithm as RsaHashedKeyAlgorithm;
  return {
    selfIssued: String(c.subject === c.issuer),
    subject: c.subject.replace(host, '<host>'),
    san:
      c
        .getExtension(x509.SubjectAlternativeNameExtension)
        ?.names.items.map((n) => `${n.type}:${n.value}`)
        .join(',')
        .replace(host, '<host>') ?? '',
    validityDays: String(days),
    key: `${alg.name}-${alg.modulusLength}`,
    signature: `${c.signatureAlgorithm.name}/${(c.signatureAlgorithm as RsaHashedKeyAlgorithm).hash?.name}`,
    // OpenSSL draws 159 random bits, so the real serial is 20 bytes long except when its top 7 bits
    // happen to be 0 (1 in 128): compare the range of one draw's bit length, not its byte length.
    serialBits: bitRange(BigInt(`0x${c.serialNumber}`).toString(2).length),
    extensions: c.extensions.map((e) => `${e.type}${e.critical ? '!' : ''}`).join(','),
  };
}

/** 145–159 bits holds a random 159-bit draw except 1 time in 16,384; anything else is named. */
const bitRange = (bits: number) => (bits > 144 && bits <= 159 ? '145–159' : String(bits));

const table = (rows: [string, unknown, unknown][]) =>
  rows
    .map(
      ([k, r, o]) =>
        `  ${k.padEnd(22)} ${JSON.stringify(r).padEnd(40)} ${JSON.stringify(o)}${JSON.stringify(r) === JSON.stringify(o) ? '' : '   <-- differs'}`,
    )
    .join('\n');
const shapeRows = (label: string, r: ShapeOrError, o: ShapeOrError): [string, unknown, unknown][] =>
  'error' in r || 'error' in o
    ? [[`${label} error`, r, o]]
    : (Object.keys(r) as (keyof typeof r)[]).map((k) => [`${label} ${k}`, r[k], o[k]]);

describe.skipIf(!haveModSsl || !haveDovecot)('TLS fidelity: ServerHello and certificate shape', () => {
  let tmp: { dir: string; remove: () => Promise<void> };
  const stops: (() => Promise<void>)[] = [];
  let https: ServiceHarness;
  let imap: ServiceHarness;

  beforeAll(async () => {
    tmp = await makeTmpDir('decnet-fidelity-tls-');
    stops.push((await startApacheSsl(join(tmp.dir, 'apache'), ip.apache, host)).stop);
    stops.push((await startRealDovecot(join(tmp.dir, 'dovecot'), ip.dovecot)).stop);
    https = await startService(
      httpsService,
      { ip: ip.https, distro: 'debian', name: host },
      { dataDir: join(tmp.dir, 'https') },
    );
    stops.push(() => https.stop());
    imap = await startService(
      imapService,
      { ip: ip.imap, distro: 'debian', name: host },
      { dataDir: join(tmp.dir, 'imap') },
    );
    stops.push(() => imap.stop());
  }, 60_000);
  afterAll(async () => {
    for (const s of stops.reverse()) await s().catch(() => undefined);
    await tmp?.remove();
  });

  it('https: the same ServerHello as apache2+mod_ssl for TLS 1.2 and 1.3 ClientHellos', async () => {
    const rows: [string, unknown, unknown][] = [];
    for (const v of ['1.2', '1.3'] as const) {
      const hello = clientHello(v, host, ['h2', 'http/1.1']);
      const [r, o] = await Promise.all([serverHello(ip.apache, 443, hello), serverHello(ip.https, 443, hello)]);
      rows.push(...shapeRows(`tls${v}`, r, o));
    }
    console.log(`https ServerHello, real apache vs ours:\n${table(rows)}`);
    expect(rows.filter(([, r, o]) => JSON.stringify(r) !== JSON.stringify(o)).map(([k]) => k)).toEqual([]);
  }, 60_000);

  it('imap STARTTLS: the same ServerHello as Dovecot', async () => {
    const rows: [string, unknown, unknown][] = [];
    const pre = { send: 'a STARTTLS\r\n', until: /^a OK .*\r\n/ };
    for (const v of ['1.2', '1.3'] as const) {
      const hello = clientHello(v, host, []);
      const [r, o] = await Promise.all([
        serverHello(ip.dovecot, 143, hello, pre),
        serverHello(ip.imap, 143, hello, pre),
      ]);
      rows.push(...shapeRows(`tls${v}`, r, o));
    }
    console.log(`imap STARTTLS ServerHello, real dovecot vs ours:\n${table(rows)}`);
    // Remaining: Dovecot installs an SNI callback, so OpenSSL acks server_name (extension 0) in the
    // TLS 1.2 ServerHello; ours would need an SNICallback on the line session's TLSSocket (kit code
    // outside this change). TLS 1.3 is identical (the ack is in EncryptedExtensions there).
    expect(rows.filter(([, r, o]) => JSON.stringify(r) !== JSON.stringify(o)).map(([k]) => k)).toEqual([
      'tls1.2 extensions',
      'tls1.2 ja3s',
    ]);
  }, 60_000);

  it('https and imap: a returning client resumes (or not) as with the real server', async () => {
    const web = { sni: host, port: 443, input: 'GET / HTTP/1.0\r\n\r\n' };
    const mail = { sni: host, port: 143, starttls: 'imap', input: 'a LOGOUT\r\n' };
    const rows: [string, unknown, unknown][] = [];
    for (const v of ['1.2', '1.3'] as const) {
      const [ra, oa] = [
        await resumption({ ...web, ip: ip.apache }, v, tmp.dir),
        await resumption({ ...web, ip: ip.https }, v, tmp.dir),
      ];
      for (const k of Object.keys(ra) as (keyof typeof ra)[]) rows.push([`https tls${v} ${k}`, ra[k], oa[k]]);
      const [rd, od] = [
        await resumption({ ...mail, ip: ip.dovecot }, v, tmp.dir),
        await resumption({ ...mail, ip: ip.imap }, v, tmp.dir),
      ];
      for (const k of Object.keys(rd) as (keyof typeof rd)[]) rows.push([`imap tls${v} ${k}`, rd[k], od[k]]);
    }
    console.log(`session resumption, real vs ours:\n${table(rows)}`);
    // mod_ssl resumes TLS 1.2 by session ID from its shmcb cache and sends no ticket extension; ours too.
    expect(rows.find(([k]) => k === 'https tls1.2 resumed')?.slice(1)).toEqual([true, true]);
    expect(rows.find(([k]) => k === 'https tls1.2 sessionTicketExt')?.slice(1)).toEqual([false, false]);
    // Dovecot's imap-login (one process per connection) issues tickets it never honours; so do we.
    expect(rows.find(([k]) => k === 'imap tls1.2 resumed')?.slice(1)).toEqual([false, false]);
    expect(rows.find(([k]) => k === 'imap tls1.2 sessionTicketExt')?.slice(1)).toEqual([true, true]);
    // Remaining: mod_ssl also resumes TLS 1.3 from its (stateful) tickets; Node looks a session up only
    // by the ClientHello's legacy session ID, never by the PSK identity, so ours issues the same
    // 300 s tickets but cannot honour them.
    expect(rows.filter(([, r, o]) => JSON.stringify(r) !== JSON.stringify(o)).map(([k]) => k)).toEqual([
      'https tls1.3 resumed',
    ]);
  }, 120_000);

  it("https: the certificate has the shape of Debian's make-ssl-cert snakeoil", async () => {
    const [r, o] = await Promise.all([certShape(ip.apache, 443), certShape(ip.https, 443)]);
    console.log(`certificate, real snakeoil vs ours:\n${table(Object.keys(r).map((k) => [k, r[k], o[k]]))}`);
    expect(o).toEqual(r);
  }, 60_000);
});

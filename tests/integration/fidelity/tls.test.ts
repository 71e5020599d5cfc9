import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpsService } from '../../../agent/services/http/https';
import { imapService } from '../../../agent/services/mail/imap';
import { makeTmpDir } from '../../helpers/tmp-dir';
import { run, startService, type ServiceHarness } from '../services/service-harness';
import { haveDovecot, startRealDovecot } from './real-dovecot';
import { apachePath, foreground, haveApache, type RealWeb } from './real-web';
import { clientHello, serverHello, type ShapeOrError } from './tls-hello';

/** The TLS ServerHello and certificate shape: Debian's apache2+mod_ssl and Dovecot vs our https and imap. */
const ip = { apache: '127.21.4.11', https: '127.21.4.12', dovecot: '127.21.4.13', imap: '127.21.4.14' };
const host = 'srv-web-01';
const haveModSsl = haveApache && (await import('node:fs')).existsSync('/usr/lib/apache2/modules/mod_ssl.so');

/** Apache with Debian's stock ssl.conf (SSLCipherSuite HIGH:!aNULL, SSLSessionTickets off) and a make-ssl-cert snakeoil. */
async function startApacheSsl(dir: string): Promise<RealWeb> {
  for (const d of ['run', 'lock', 'log']) await mkdir(join(dir, d), { recursive: true });
  const cnf = join(dir, 'ssleay.cnf');
  const tpl = await readFile('/usr/share/ssl-cert/ssleay.cnf', 'utf8');
  await writeFile(cnf, tpl.replace('@HostName@', host).replace('@SubjectAltName@', `DNS:${host}`));
  const [cert, key] = [join(dir, 'snakeoil.pem'), join(dir, 'snakeoil.key')];
  const gen = await run('openssl', [
    'req',
    '-config',
    cnf,
    '-new',
    '-x509',
    '-days',
    '3650',
    '-nodes',
    '-sha256',
    '-out',
    cert,
    '-keyout',
    key,
  ]);
  if (gen.code !== 0) throw new Error(`openssl req: ${gen.stderr}`);
  const env = {
    ...process.env,
    APACHE_RUN_DIR: join(dir, 'run'),
    APACHE_LOCK_DIR: join(dir, 'lock'),
    APACHE_LOG_DIR: join(dir, 'log'),
    APACHE_RUN_USER: 'www-data',
    APACHE_RUN_GROUP: 'www-data',
    APACHE_PID_FILE: join(dir, 'run', 'pid'),
    LANG: 'C',
  };
  const config = join(dir, 'apache2.conf');
  await writeFile(
    config,
    `ServerRoot /etc/apache2
ServerName ${host}
DefaultRuntimeDir \${APACHE_RUN_DIR}
PidFile \${APACHE_PID_FILE}
User \${APACHE_RUN_USER}
Group \${APACHE_RUN_GROUP}
ErrorLog \${APACHE_LOG_DIR}/error.log
IncludeOptional mods-enabled/*.load
IncludeOptional mods-enabled/*.conf
LoadModule socache_shmcb_module /usr/lib/apache2/modules/mod_socache_shmcb.so
LoadModule ssl_module /usr/lib/apache2/modules/mod_ssl.so
Include mods-available/ssl.conf
Listen ${ip.apache}:80
Listen ${ip.apache}:443
<VirtualHost ${ip.apache}:443>
	SSLEngine on
	SSLCertificateFile ${cert}
	SSLCertificateKeyFile ${key}
</VirtualHost>
`,
  );
  return foreground(apachePath, ['-f', config, '-DFOREGROUND'], env, ip.apache);
}

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
    serialBytes: String(c.serialNumber.length / 2),
    extensions: c.extensions.map((e) => `${e.type}${e.critical ? '!' : ''}`).join(','),
  };
}

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
    stops.push((await startApacheSsl(join(tmp.dir, 'apache'))).stop);
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

  it("https: the certificate has the shape of Debian's make-ssl-cert snakeoil", async () => {
    const [r, o] = await Promise.all([certShape(ip.apache, 443), certShape(ip.https, 443)]);
    console.log(`certificate, real snakeoil vs ours:\n${table(Object.keys(r).map((k) => [k, r[k], o[k]]))}`);
    expect(o).toEqual(r);
  }, 60_000);
});

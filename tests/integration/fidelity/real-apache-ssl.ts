import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { run } from '../services/service-harness';
import { apachePath, foreground, haveApache, type RealWeb } from './real-web';

export const haveModSsl = haveApache && existsSync('/usr/lib/apache2/modules/mod_ssl.so');

/**
 * Debian's apache2 with its stock ssl.conf (SSLCipherSuite HIGH:!aNULL, SSLSessionTickets off,
 * SSLSessionCache shmcb 512000 bytes, SSLSessionCacheTimeout 300) and a make-ssl-cert snakeoil for
 * `host`, on `ip:80` and `ip:443`. Shared by the TLS fidelity test and bench/tls.bench.ts, which
 * passes its own `pair` (PEM) to measure an ECDSA certificate no Debian package would make.
 */
export async function startApacheSsl(
  dir: string,
  ip: string,
  host: string,
  pair?: Readonly<{ cert: string; key: string }>,
): Promise<RealWeb> {
  for (const d of ['run', 'lock', 'log']) await mkdir(join(dir, d), { recursive: true });
  const cnf = join(dir, 'ssleay.cnf');
  const tpl = await readFile('/usr/share/ssl-cert/ssleay.cnf', 'utf8');
  await writeFile(cnf, tpl.replace('@HostName@', host).replace('@SubjectAltName@', `DNS:${host}`));
  const [cert, key] = [join(dir, 'snakeoil.pem'), join(dir, 'snakeoil.key')];
  if (pair) await Promise.all([writeFile(cert, pair.cert), writeFile(key, pair.key)]);
  const gen = pair
    ? { code: 0, stderr: '' }
    : await run('openssl', [
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
Listen ${ip}:80
Listen ${ip}:443
<VirtualHost ${ip}:443>
	SSLEngine on
	SSLCertificateFile ${cert}
	SSLCertificateKeyFile ${key}
</VirtualHost>
`,
  );
  return foreground(apachePath, ['-f', config, '-DFOREGROUND'], env, ip);
}

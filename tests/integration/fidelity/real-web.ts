import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdir, utimes, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { join } from 'node:path';
import { eventually } from '../../helpers/eventually';

export const apachePath = '/usr/sbin/apache2';
export const nginxPath = '/usr/sbin/nginx';
export const haveApache = existsSync(apachePath) && existsSync('/etc/apache2/mods-available/dir.load');
export const haveNginx = existsSync(nginxPath) && existsSync('/etc/nginx/mime.types');

export type RealWeb = Readonly<{ stop: () => Promise<void> }>;

/** The document root both real servers serve: `index` as index.html and an empty `images/` directory. */
async function docRoot(dir: string, index: string): Promise<string> {
  const root = join(dir, 'www');
  await mkdir(join(root, 'images'), { recursive: true });
  await writeFile(join(root, 'index.html'), index);
  // A page deployed a while ago: a file changed within the last second gets a weak ETag from Apache.
  const deployed = new Date('2024-06-01T09:30:00Z');
  await utimes(join(root, 'index.html'), deployed, deployed);
  // The workers run as www-data: every directory on the way must be searchable.
  for (const d of [join(dir, '..'), dir, root, join(root, 'images')]) await chmod(d, 0o755);
  return root;
}

/** Spawns a foreground server, waits until `ip:80` accepts, and kills it (and waits) on stop. */
export async function foreground(cmd: string, args: string[], env: NodeJS.ProcessEnv, ip: string): Promise<RealWeb> {
  const child: ChildProcess = spawn(cmd, args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
  };
  try {
    await eventually(
      () =>
        new Promise<boolean>((resolve, reject) => {
          if (child.exitCode !== null) return reject(new Error(`${cmd} exited ${child.exitCode}: ${stderr}`));
          const s = net.connect({ host: ip, port: 80 }, () => {
            s.destroy();
            resolve(true);
          });
          s.on('error', () => resolve(false));
        }),
      { timeoutMs: 15_000, what: `${cmd} listening on ${ip}:80` },
    );
  } catch (err) {
    await stop();
    throw new Error(`${cmd} did not start: ${String(err)}; stderr: ${stderr}`);
  }
  return { stop };
}

/**
 * Debian's apache2 with its stock modules and conf-enabled snippets (ServerTokens OS, ServerSignature
 * On, mod_deflate, mod_reqtimeout...) on `ip:80`, with the limits the decky has: 64 KiB bodies and a
 * `headerTimeoutS` header timeout. No systemd: -DFOREGROUND with its own pid file and run dir.
 */
export async function startRealApache(
  dir: string,
  ip: string,
  index: string,
  headerTimeoutS: number,
): Promise<RealWeb> {
  const root = await docRoot(dir, index);
  for (const d of ['run', 'lock', 'log']) await mkdir(join(dir, d), { recursive: true });
  const env = {
    ...process.env,
    APACHE_RUN_USER: 'www-data',
    APACHE_RUN_GROUP: 'www-data',
    APACHE_PID_FILE: join(dir, 'run', 'apache2.pid'),
    APACHE_RUN_DIR: join(dir, 'run'),
    APACHE_LOCK_DIR: join(dir, 'lock'),
    APACHE_LOG_DIR: join(dir, 'log'),
    LANG: 'C',
  };
  const config = join(dir, 'apache2.conf');
  await writeFile(
    config,
    `ServerRoot /etc/apache2
ServerName ${ip}
DefaultRuntimeDir \${APACHE_RUN_DIR}
PidFile \${APACHE_PID_FILE}
Timeout 300
KeepAlive On
MaxKeepAliveRequests 100
KeepAliveTimeout 5
User \${APACHE_RUN_USER}
Group \${APACHE_RUN_GROUP}
HostnameLookups Off
ErrorLog \${APACHE_LOG_DIR}/error.log
LogLevel warn
IncludeOptional mods-enabled/*.load
IncludeOptional mods-enabled/*.conf
Listen ${ip}:80
<Directory />
	Options FollowSymLinks
	AllowOverride None
	Require all denied
</Directory>
<Directory ${root}/>
	Options Indexes FollowSymLinks
	AllowOverride None
	Require all granted
</Directory>
AccessFileName .htaccess
<FilesMatch "^\\.ht">
	Require all denied
</FilesMatch>
IncludeOptional conf-enabled/*.conf
DocumentRoot ${root}
LimitRequestBody 65536
RequestReadTimeout header=${headerTimeoutS} body=20,MinRate=500
`,
  );
  return foreground(apachePath, ['-f', config, '-DFOREGROUND'], env, ip);
}

/** Debian's nginx with the stock nginx.conf's http settings and default site, on `ip:80`. */
export async function startRealNginx(dir: string, ip: string, index: string, headerTimeoutS: number): Promise<RealWeb> {
  const root = await docRoot(dir, index);
  const config = join(dir, 'nginx.conf');
  await writeFile(
    config,
    `user www-data;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log;
events { worker_connections 64; }
http {
	sendfile on;
	tcp_nopush on;
	types_hash_max_size 2048;
	include /etc/nginx/mime.types;
	default_type application/octet-stream;
	access_log off;
	gzip on;
	client_body_temp_path ${dir}/body;
	proxy_temp_path ${dir}/proxy;
	fastcgi_temp_path ${dir}/fastcgi;
	uwsgi_temp_path ${dir}/uwsgi;
	scgi_temp_path ${dir}/scgi;
	client_max_body_size 64k;
	client_header_timeout ${headerTimeoutS}s;
	server {
		listen ${ip}:80 default_server;
		root ${root};
		index index.html index.htm index.nginx-debian.html;
		server_name _;
		location / { try_files $uri $uri/ =404; }
	}
}
`,
  );
  return foreground(nginxPath, ['-c', config, '-e', join(dir, 'error.log'), '-g', 'daemon off;'], process.env, ip);
}

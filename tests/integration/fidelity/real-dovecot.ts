import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { eventually } from '../../helpers/eventually';
import { selfSignedCert } from './self-signed';

import { probeAnswer } from './nmap-probes';

export const dovecotPath = '/usr/sbin/dovecot';
export const haveDovecot = existsSync(dovecotPath) && existsSync('/usr/lib/dovecot/imap-login');

/**
 * Debian's Dovecot 2.3 (package dovecot-imapd) with a private config: imap on `ip:143`, STARTTLS
 * with a throwaway certificate as the stock ssl=yes snakeoil setup has, no imaps.
 */
export async function startRealDovecot(dir: string, ip: string): Promise<{ stop: () => Promise<void> }> {
  // imap-login runs as nobody without a chroot: the private dirs must be reachable for it.
  await mkdir(dir, { recursive: true });
  await chmod(join(dir, '..'), 0o755);
  await chmod(dir, 0o755);
  for (const d of ['run', 'state', 'home']) await mkdir(join(dir, d), { recursive: true, mode: 0o777 });
  const cert = join(dir, 'cert.pem');
  const key = join(dir, 'key.pem');
  await selfSignedCert(cert, key, 'mail');
  const config = join(dir, 'dovecot.conf');
  await writeFile(
    config,
    `protocols = imap
listen = ${ip}
base_dir = ${dir}/run
state_dir = ${dir}/state
log_path = ${dir}/log
ssl = yes
ssl_cert = <${cert}
ssl_key = <${key}
disable_plaintext_auth = no
auth_mechanisms = plain login
passdb {
  driver = static
  args = password=unused-${process.pid}
}
userdb {
  driver = static
  args = uid=nobody gid=nogroup home=${dir}/home
}
default_internal_user = nobody
default_login_user = nobody
service anvil {
  chroot =
}
service imap-login {
  chroot =
  inet_listener imap {
    address = ${ip}
    port = 143
  }
  inet_listener imaps {
    port = 0
  }
}
`,
  );
  // -F: in the foreground, so the test owns the process (a daemonized master would keep our pipes).
  const child = spawn(dovecotPath, ['-F', '-c', config], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
  };
  try {
    // Its first login waits for the auth process ("* OK Waiting for authentication process"): warm up.
    await eventually(
      async () => (await probeAnswer(ip, 143, Buffer.alloc(0))).toString().startsWith('* OK [CAPABILITY'),
      { timeoutMs: 15_000, what: 'dovecot greeting' },
    );
  } catch (err) {
    await stop();
    throw new Error(
      `dovecot on ${ip}:143 did not greet: ${String(err)}; stderr: ${stderr}; log: ${await readFile(join(dir, 'log'), 'utf8').catch(() => '')}`,
    );
  }
  return { stop };
}

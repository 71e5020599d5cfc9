import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, chown, mkdir, readFile, writeFile } from 'node:fs/promises';
import { userInfo } from 'node:os';
import net from 'node:net';
import { join } from 'node:path';
import { eventually } from '../../helpers/eventually';
import { selfSignedCert } from './self-signed';
import { run } from '../services/service-harness';

export const postfixPath = '/usr/sbin/postfix';
export const havePostfix =
  existsSync(postfixPath) &&
  existsSync('/usr/sbin/postalias') &&
  existsSync('/usr/sbin/dovecot') &&
  userInfo().uid === 0;

/**
 * Debian 12's Postfix 3.7 with the main.cf its postinst writes for "Internet Site" (banner
 * `(Debian/GNU)`, compatibility_level 3.6, snakeoil-style TLS with security level may, relay
 * restrictions permit_mynetworks permit_sasl_authenticated defer_unauth_destination) plus what a
 * mail host that takes logins adds: Dovecot SASL (auth_mechanisms plain login) and $mydomain in
 * mydestination. Test-only changes: smtpd on `ip:25` only (master.cf), a private queue, no
 * chroot, mynetworks that excludes the test client (so relaying is refused, as to any outsider),
 * `local_recipient_maps =` (every local part accepted, as ours does to keep the mail), and no
 * delivery at all (local deferred, everything else the error transport).
 */
export async function startRealPostfix(dir: string, ip: string, fqdn: string): Promise<{ stop: () => Promise<void> }> {
  // smtpd and dovecot's auth run unprivileged: the private dirs must be reachable.
  await mkdir(dir, { recursive: true });
  await chmod(join(dir, '..'), 0o755);
  await chmod(dir, 0o755);
  const conf = join(dir, 'conf');
  const queue = join(dir, 'queue');
  const data = join(dir, 'data');
  const dv = join(dir, 'dovecot');
  for (const d of [conf, queue, data, join(dv, 'run'), join(dv, 'state')]) await mkdir(d, { recursive: true });
  const postfixUid = /^postfix:[^:]*:(\d+):/m.exec(await readFile('/etc/passwd', 'utf8'))?.[1];
  if (!postfixUid) throw new Error('no postfix user in /etc/passwd');
  await chown(data, Number(postfixUid), 0);
  await selfSignedCert(join(conf, 'cert.pem'), join(conf, 'key.pem'), fqdn);
  await writeFile(
    join(conf, 'main.cf'),
    `smtpd_banner = $myhostname ESMTP $mail_name (Debian/GNU)
biff = no
append_dot_mydomain = no
readme_directory = no
compatibility_level = 3.6
smtpd_tls_cert_file = ${conf}/cert.pem
smtpd_tls_key_file = ${conf}/key.pem
smtpd_tls_security_level = may
smtp_tls_CApath = /etc/ssl/certs
smtp_tls_security_level = may
smtp_tls_session_cache_database = btree:\${data_directory}/smtp_scache
smtpd_relay_restrictions = permit_mynetworks permit_sasl_authenticated defer_unauth_destination
myhostname = ${fqdn}
alias_maps = hash:${conf}/aliases
alias_database = hash:${conf}/aliases
myorigin = ${fqdn}
mydestination = $myhostname, $mydomain, localhost.$mydomain, localhost
relayhost =
mailbox_size_limit = 0
recipient_delimiter = +
inet_protocols = ipv4
smtpd_sasl_type = dovecot
smtpd_sasl_path = private/auth
smtpd_sasl_auth_enable = yes
# test-only
mynetworks = 192.0.2.1/32
inet_interfaces = loopback-only
queue_directory = ${queue}
data_directory = ${data}
# a regular file: postlog refuses a pipe (the test's stdout)
maillog_file = ${dir}/maillog
maillog_file_prefixes = ${dir}
local_recipient_maps =
defer_transports = local
default_transport = error:fidelity test, no delivery
relay_transport = error:fidelity test, no delivery
`,
  );
  // Debian's master.cf without chroot, its one inet service bound to `ip` alone.
  const master = (await readFile('/etc/postfix/master.cf', 'utf8'))
    .replace(/^([a-z][\w-]* +(?:inet|unix|unix-dgram|fifo|pass) +[-ny] +[-ny] +)y /gm, '$1n ')
    .replace(/^smtp( +)inet /m, `${ip}:smtp$1inet `);
  await writeFile(join(conf, 'master.cf'), master);
  await writeFile(join(conf, 'aliases'), '# See man 5 aliases for format\npostmaster:    root\n');
  for (const [cmd, args] of [
    ['/usr/sbin/postalias', [join(conf, 'aliases')]],
    [postfixPath, ['-c', conf, 'check']],
  ] as const) {
    const r = await run(cmd, [...args]);
    if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stdout}${r.stderr}`);
  }
  await writeFile(
    join(dv, 'dovecot.conf'),
    `protocols =
base_dir = ${dv}/run
state_dir = ${dv}/state
log_path = ${dv}/log
auth_mechanisms = plain login
disable_plaintext_auth = no
passdb {
  driver = static
  args = password=unused-${process.pid}
}
userdb {
  driver = static
  args = uid=nobody gid=nogroup home=/nonexistent
}
default_internal_user = nobody
default_login_user = nobody
service anvil {
  chroot =
}
service auth {
  unix_listener ${queue}/private/auth {
    mode = 0660
    user = postfix
    group = postfix
  }
}
`,
  );
  const children: ChildProcess[] = [];
  const spawnFg = (cmd: string, args: string[]) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    children.push(child);
    return () => out;
  };
  const dovecotOut = spawnFg('/usr/sbin/dovecot', ['-F', '-c', join(dv, 'dovecot.conf')]);
  // start-fg: master stays in the foreground, so the test owns it.
  const postfixOut = spawnFg(postfixPath, ['-c', conf, 'start-fg']);
  const stop = async () => {
    await run(postfixPath, ['-c', conf, 'stop']);
    for (const child of children) {
      if (child.exitCode !== null || child.signalCode !== null) continue;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
  };
  try {
    await eventually(() => existsSync(join(queue, 'private', 'auth')), { timeoutMs: 15_000, what: 'dovecot auth' });
    await eventually(
      () =>
        new Promise<boolean>((resolve, reject) => {
          const s = net.connect({ host: ip, port: 25 });
          s.once('data', (d: Buffer) => {
            s.destroy();
            resolve(d.toString().startsWith('220 '));
          });
          s.once('error', reject);
        }),
      { timeoutMs: 20_000, what: `postfix greeting on ${ip}:25` },
    );
  } catch (err) {
    await stop();
    const log = await readFile(join(dir, 'maillog'), 'utf8').catch(() => '');
    throw new Error(`postfix did not start: ${String(err)}; postfix: ${postfixOut()}${log}; dovecot: ${dovecotOut()}`);
  }
  return { stop };
}

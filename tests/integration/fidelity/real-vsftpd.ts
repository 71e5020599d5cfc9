import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startDaemon, type RealDaemon } from './real-daemon';

export const vsftpdPath = '/usr/sbin/vsftpd';
export const haveVsftpd = existsSync(vsftpdPath);

/**
 * Debian's vsftpd 3.0.3 (package vsftpd) with Debian's stock /etc/vsftpd.conf settings, changed
 * only where a test must: standalone on `ip:21` in the foreground, logs in `dir`; `anonymous` is
 * the persona's anonymous flag (anonymous_enable=YES, the ftp user's empty /srv/ftp as root).
 */
export async function startRealVsftpd(
  dir: string,
  ip: string,
  opts: { anonymous?: boolean } = {},
): Promise<RealDaemon> {
  await mkdir(dir, { recursive: true });
  await mkdir('/var/run/vsftpd/empty', { recursive: true });
  const config = join(dir, 'vsftpd.conf');
  await writeFile(
    config,
    [
      // Debian's stock lines.
      `anonymous_enable=${opts.anonymous ? 'YES' : 'NO'}`,
      'local_enable=YES',
      'dirmessage_enable=YES',
      'use_localtime=YES',
      'xferlog_enable=YES',
      'connect_from_port_20=YES',
      'secure_chroot_dir=/var/run/vsftpd/empty',
      'pam_service_name=vsftpd',
      'rsa_cert_file=/etc/ssl/certs/ssl-cert-snakeoil.pem',
      'rsa_private_key_file=/etc/ssl/private/ssl-cert-snakeoil.key',
      'ssl_enable=NO',
      // The test's: one IPv4 address, no daemonizing, private logs.
      'listen=YES',
      'listen_ipv6=NO',
      `listen_address=${ip}`,
      'background=NO',
      `xferlog_file=${join(dir, 'xferlog')}`,
      `vsftpd_log_file=${join(dir, 'vsftpd.log')}`,
      '',
    ].join('\n'),
  );
  return startDaemon(vsftpdPath, [config], ip, 21);
}

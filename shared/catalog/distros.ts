import type { NmapOs } from './os-fingerprints';

/**
 * Distros a decky can claim. Each carries the version strings its services default to, so that
 * banners stay consistent within one decky (an Ubuntu OpenSSH banner on a Rocky decky is a tell).
 */
export type DistroDef = Readonly<{
  label: string;
  nmapOs: NmapOs;
  kernel: string;
  sshVersion: string;
  httpServer: string;
  ftpBanner: string;
  mysqlVersion: string;
  postgresVersion: string;
  redisVersion: string;
  /** MongoDB server version a decky of this distro announces (buildInfo, hello). */
  mongodbVersion: string;
  /** SQL Server version (major.minor.build) in the TDS PRELOGIN answer. */
  mssqlVersion: string;
  /** What follows the host name in the SMTP greeting: Postfix as the distro packages it. */
  smtpGreeting: string;
  /** Dovecot's login-greeting name (distro patches add the vendor in brackets). */
  dovecotName: string;
  /** Docker Engine version a host of this distro typically runs (its own package or docker-ce). */
  dockerVersion: string;
  /** Mosquitto broker version the distro ships. */
  mosquittoVersion: string;
}>;

export const distros = {
  debian: {
    label: 'Debian 12 (bookworm)',
    nmapOs: 'linux',
    kernel: '6.1.0-26-amd64',
    sshVersion: 'OpenSSH_9.2p1 Debian-2+deb12u3',
    httpServer: 'Apache/2.4.62 (Debian)',
    ftpBanner: '220 (vsFTPd 3.0.3)',
    mysqlVersion: '10.11.6-MariaDB-0+deb12u1',
    postgresVersion: '15.8 (Debian 15.8-0+deb12u1)',
    redisVersion: '7.0.15',
    mongodbVersion: '7.0.14',
    mssqlVersion: '15.0.2000',
    smtpGreeting: 'ESMTP Postfix (Debian/GNU)',
    dovecotName: 'Dovecot (Debian)',
    dockerVersion: '20.10.24+dfsg1',
    mosquittoVersion: '2.0.11',
  },
  ubuntu22: {
    label: 'Ubuntu 22.04 LTS',
    nmapOs: 'linux',
    kernel: '5.15.0-119-generic',
    sshVersion: 'OpenSSH_8.9p1 Ubuntu-3ubuntu0.10',
    httpServer: 'Apache/2.4.52 (Ubuntu)',
    ftpBanner: '220 (vsFTPd 3.0.5)',
    mysqlVersion: '8.0.39-0ubuntu0.22.04.1',
    postgresVersion: '14.13 (Ubuntu 14.13-0ubuntu0.22.04.1)',
    redisVersion: '6.0.16',
    mongodbVersion: '6.0.16',
    mssqlVersion: '15.0.4385',
    smtpGreeting: 'ESMTP Postfix (Ubuntu)',
    dovecotName: 'Dovecot (Ubuntu)',
    dockerVersion: '24.0.7',
    mosquittoVersion: '2.0.11',
  },
  ubuntu20: {
    label: 'Ubuntu 20.04 LTS',
    nmapOs: 'linux',
    kernel: '5.4.0-196-generic',
    sshVersion: 'OpenSSH_8.2p1 Ubuntu-4ubuntu0.11',
    httpServer: 'Apache/2.4.41 (Ubuntu)',
    ftpBanner: '220 (vsFTPd 3.0.3)',
    mysqlVersion: '8.0.39-0ubuntu0.20.04.1',
    postgresVersion: '12.20 (Ubuntu 12.20-0ubuntu0.20.04.1)',
    redisVersion: '5.0.7',
    mongodbVersion: '5.0.28',
    mssqlVersion: '15.0.2000',
    smtpGreeting: 'ESMTP Postfix (Ubuntu)',
    dovecotName: 'Dovecot (Ubuntu)',
    dockerVersion: '24.0.7',
    mosquittoVersion: '1.6.9',
  },
  rocky9: {
    label: 'Rocky Linux 9',
    nmapOs: 'linux',
    kernel: '5.14.0-427.33.1.el9_4.x86_64',
    sshVersion: 'OpenSSH_8.7',
    httpServer: 'Apache/2.4.57 (Rocky Linux)',
    ftpBanner: '220 (vsFTPd 3.0.5)',
    mysqlVersion: '8.0.36',
    postgresVersion: '13.14',
    redisVersion: '6.2.7',
    mongodbVersion: '6.0.16',
    mssqlVersion: '15.0.4385',
    smtpGreeting: 'ESMTP Postfix',
    dovecotName: 'Dovecot',
    dockerVersion: '26.1.3',
    mosquittoVersion: '2.0.18',
  },
  centos7: {
    label: 'CentOS 7',
    nmapOs: 'linux',
    kernel: '3.10.0-1160.119.1.el7.x86_64',
    sshVersion: 'OpenSSH_7.4',
    httpServer: 'Apache/2.4.6 (CentOS)',
    ftpBanner: '220 (vsFTPd 3.0.2)',
    mysqlVersion: '5.5.68-MariaDB',
    postgresVersion: '9.2.24',
    redisVersion: '3.2.12',
    mongodbVersion: '4.4.29',
    mssqlVersion: '15.0.2000',
    smtpGreeting: 'ESMTP Postfix',
    dovecotName: 'Dovecot',
    dockerVersion: '20.10.21',
    mosquittoVersion: '1.6.10',
  },
  alpine: {
    label: 'Alpine Linux 3.19',
    nmapOs: 'embedded',
    kernel: '6.6.58-0-lts',
    sshVersion: 'OpenSSH_9.6',
    httpServer: 'nginx/1.24.0',
    ftpBanner: '220 (vsFTPd 3.0.5)',
    mysqlVersion: '10.11.8-MariaDB',
    postgresVersion: '16.4',
    redisVersion: '7.2.4',
    mongodbVersion: '6.0.16',
    mssqlVersion: '15.0.2000',
    smtpGreeting: 'ESMTP Postfix',
    dovecotName: 'Dovecot',
    dockerVersion: '25.0.5',
    mosquittoVersion: '2.0.18',
  },
  fedora: {
    label: 'Fedora 39',
    nmapOs: 'linux',
    kernel: '6.11.5-100.fc39.x86_64',
    sshVersion: 'OpenSSH_9.3',
    httpServer: 'Apache/2.4.62 (Fedora Linux)',
    ftpBanner: '220 (vsFTPd 3.0.5)',
    mysqlVersion: '8.0.39',
    postgresVersion: '15.8',
    redisVersion: '7.2.6',
    mongodbVersion: '7.0.14',
    mssqlVersion: '15.0.2000',
    smtpGreeting: 'ESMTP Postfix',
    dovecotName: 'Dovecot',
    dockerVersion: '24.0.5',
    mosquittoVersion: '2.0.18',
  },
  kali: {
    label: 'Kali Linux (rolling)',
    nmapOs: 'linux',
    kernel: '6.11.2-amd64',
    sshVersion: 'OpenSSH_9.9p1 Debian-3',
    httpServer: 'Apache/2.4.62 (Debian)',
    ftpBanner: '220 (vsFTPd 3.0.3)',
    mysqlVersion: '11.4.3-MariaDB-1',
    postgresVersion: '17.0 (Debian 17.0-1)',
    redisVersion: '7.0.15',
    mongodbVersion: '7.0.14',
    mssqlVersion: '15.0.2000',
    smtpGreeting: 'ESMTP Postfix (Debian/GNU)',
    dovecotName: 'Dovecot (Debian)',
    dockerVersion: '26.1.5+dfsg1',
    mosquittoVersion: '2.0.20',
  },
  arch: {
    label: 'Arch Linux',
    nmapOs: 'linux',
    kernel: '6.11.6-arch1-1',
    sshVersion: 'OpenSSH_9.9',
    httpServer: 'Apache/2.4.62 (Unix)',
    ftpBanner: '220 (vsFTPd 3.0.5)',
    mysqlVersion: '11.5.2-MariaDB',
    postgresVersion: '16.4',
    redisVersion: '7.2.6',
    mongodbVersion: '7.0.14',
    mssqlVersion: '15.0.2000',
    smtpGreeting: 'ESMTP Postfix',
    dovecotName: 'Dovecot',
    dockerVersion: '27.3.1',
    mosquittoVersion: '2.0.20',
  },
  // Not a Linux distro: the "distro" of the Windows archetypes, so their banners and versions come
  // from Windows (IIS, the Microsoft FTP service, OpenSSH for Windows) instead of Debian's.
  windows: {
    label: 'Windows',
    nmapOs: 'windows',
    kernel: '10.0.19045',
    sshVersion: 'OpenSSH_for_Windows_8.1',
    httpServer: 'Microsoft-IIS/10.0',
    ftpBanner: '220 Microsoft FTP Service',
    mysqlVersion: '8.0.39',
    postgresVersion: '16.4',
    redisVersion: '5.0.14.1',
    mongodbVersion: '7.0.14',
    mssqlVersion: '15.0.2000',
    smtpGreeting: 'Microsoft ESMTP MAIL Service ready',
    dovecotName: 'Dovecot',
    dockerVersion: '27.3.1',
    mosquittoVersion: '2.0.18',
  },
} as const satisfies Record<string, DistroDef>;

export type DistroName = keyof typeof distros;
export const distroNames = Object.keys(distros) as [DistroName, ...DistroName[]];

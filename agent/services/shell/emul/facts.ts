import { createHash } from 'node:crypto';
import { distros, type DistroName } from '../../../../shared/catalog/distros';

/** Who is logged in and what machine they landed on: everything the shell's answers derive from. */
export type ShellIdentity = Readonly<{
  user: string;
  hostname: string;
  kernel: string;
  distro?: DistroName;
  /** Persona users (they get home directories and /etc/passwd lines). */
  users?: readonly string[];
  /** The decky's address (ifconfig, ip a) and a stable seed (its name) for per-decky values. */
  ip?: string;
  seed?: string;
  /** The attacker's address, as sshd puts it in SSH_CLIENT (w, who, last, netstat show it). */
  from?: string;
}>;

export type UserInfo = Readonly<{ name: string; uid: number; gid: number; home: string; shell: string }>;

/** Per-distro text the shell shows: /etc/os-release, `lsb_release`, the package manager, the shell. */
export type DistroFacts = Readonly<{
  osRelease: string;
  lsbId: string;
  lsbDescription: string;
  lsbRelease: string;
  lsbCodename: string;
  packageManager: 'apt' | 'yum' | 'dnf' | 'apk' | 'pacman';
  /** gcc line in /proc/version. */
  compiler: string;
  /** Alpine has busybox ash; the rest bash. */
  busybox: boolean;
}>;

const osr = (fields: Record<string, string>) =>
  Object.entries(fields)
    .map(([k, v]) => `${k}=${/^[A-Za-z0-9._-]+$/.test(v) && k !== 'PRETTY_NAME' && k !== 'NAME' ? v : `"${v}"`}`)
    .join('\n') + '\n';

const debianLike = (pretty: string, name: string, id: string, ver: string, code: string, extra = {}) =>
  osr({
    PRETTY_NAME: pretty,
    NAME: name,
    VERSION_ID: ver,
    VERSION: `${ver} (${code})`,
    VERSION_CODENAME: code,
    ID: id,
    ...extra,
  });

export const distroFacts: Readonly<Record<DistroName, DistroFacts>> = {
  debian: {
    osRelease: debianLike('Debian GNU/Linux 12 (bookworm)', 'Debian GNU/Linux', 'debian', '12', 'bookworm', {
      HOME_URL: 'https://www.debian.org/',
      SUPPORT_URL: 'https://www.debian.org/support',
      BUG_REPORT_URL: 'https://bugs.debian.org/',
    }),
    lsbId: 'Debian',
    lsbDescription: 'Debian GNU/Linux 12 (bookworm)',
    lsbRelease: '12',
    lsbCodename: 'bookworm',
    packageManager: 'apt',
    compiler: 'gcc-12 (Debian 12.2.0-14) 12.2.0, GNU ld (GNU Binutils for Debian) 2.40',
    busybox: false,
  },
  ubuntu22: {
    osRelease: osr({
      PRETTY_NAME: 'Ubuntu 22.04.4 LTS',
      NAME: 'Ubuntu',
      VERSION_ID: '22.04',
      VERSION: '22.04.4 LTS (Jammy Jellyfish)',
      VERSION_CODENAME: 'jammy',
      ID: 'ubuntu',
      ID_LIKE: 'debian',
      HOME_URL: 'https://www.ubuntu.com/',
      UBUNTU_CODENAME: 'jammy',
    }),
    lsbId: 'Ubuntu',
    lsbDescription: 'Ubuntu 22.04.4 LTS',
    lsbRelease: '22.04',
    lsbCodename: 'jammy',
    packageManager: 'apt',
    compiler: 'x86_64-linux-gnu-gcc (Ubuntu 11.4.0-1ubuntu1~22.04) 11.4.0, GNU ld (GNU Binutils for Ubuntu) 2.38',
    busybox: false,
  },
  ubuntu20: {
    osRelease: osr({
      NAME: 'Ubuntu',
      VERSION: '20.04.6 LTS (Focal Fossa)',
      ID: 'ubuntu',
      ID_LIKE: 'debian',
      PRETTY_NAME: 'Ubuntu 20.04.6 LTS',
      VERSION_ID: '20.04',
      VERSION_CODENAME: 'focal',
      UBUNTU_CODENAME: 'focal',
    }),
    lsbId: 'Ubuntu',
    lsbDescription: 'Ubuntu 20.04.6 LTS',
    lsbRelease: '20.04',
    lsbCodename: 'focal',
    packageManager: 'apt',
    compiler: 'gcc version 9.4.0 (Ubuntu 9.4.0-1ubuntu1~20.04.2)',
    busybox: false,
  },
  rocky9: {
    osRelease: osr({
      NAME: 'Rocky Linux',
      VERSION: '9.4 (Blue Onyx)',
      ID: 'rocky',
      ID_LIKE: 'rhel centos fedora',
      VERSION_ID: '9.4',
      PLATFORM_ID: 'platform:el9',
      PRETTY_NAME: 'Rocky Linux 9.4 (Blue Onyx)',
    }),
    lsbId: 'Rocky',
    lsbDescription: 'Rocky Linux release 9.4 (Blue Onyx)',
    lsbRelease: '9.4',
    lsbCodename: 'BlueOnyx',
    packageManager: 'dnf',
    compiler: 'gcc (GCC) 11.4.1 20231218 (Red Hat 11.4.1-3), GNU ld version 2.35.2-43.el9',
    busybox: false,
  },
  centos7: {
    osRelease: osr({
      NAME: 'CentOS Linux',
      VERSION: '7 (Core)',
      ID: 'centos',
      ID_LIKE: 'rhel fedora',
      VERSION_ID: '7',
      PRETTY_NAME: 'CentOS Linux 7 (Core)',
    }),
    lsbId: 'CentOS',
    lsbDescription: 'CentOS Linux release 7.9.2009 (Core)',
    lsbRelease: '7.9.2009',
    lsbCodename: 'Core',
    packageManager: 'yum',
    compiler: 'gcc version 4.8.5 20150623 (Red Hat 4.8.5-44) (GCC)',
    busybox: false,
  },
  alpine: {
    osRelease: osr({
      NAME: 'Alpine Linux',
      ID: 'alpine',
      VERSION_ID: '3.19.4',
      PRETTY_NAME: 'Alpine Linux v3.19',
      HOME_URL: 'https://alpinelinux.org/',
    }),
    lsbId: 'Alpine',
    lsbDescription: 'Alpine Linux v3.19',
    lsbRelease: '3.19.4',
    lsbCodename: 'n/a',
    packageManager: 'apk',
    compiler: 'gcc (Alpine 13.2.1_git20231014) 13.2.1 20231014, GNU ld (GNU Binutils) 2.41',
    busybox: true,
  },
  fedora: {
    osRelease: osr({
      NAME: 'Fedora Linux',
      VERSION: '39 (Server Edition)',
      ID: 'fedora',
      VERSION_ID: '39',
      PRETTY_NAME: 'Fedora Linux 39 (Server Edition)',
    }),
    lsbId: 'Fedora',
    lsbDescription: 'Fedora release 39 (Thirty Nine)',
    lsbRelease: '39',
    lsbCodename: 'ThirtyNine',
    packageManager: 'dnf',
    compiler: 'gcc (GCC) 13.3.1 20240913 (Red Hat 13.3.1-3), GNU ld version 2.40-14.fc39',
    busybox: false,
  },
  kali: {
    osRelease: osr({
      PRETTY_NAME: 'Kali GNU/Linux Rolling',
      NAME: 'Kali GNU/Linux',
      VERSION_ID: '2024.4',
      VERSION: '2024.4',
      VERSION_CODENAME: 'kali-rolling',
      ID: 'kali',
      ID_LIKE: 'debian',
    }),
    lsbId: 'Kali',
    lsbDescription: 'Kali GNU/Linux Rolling',
    lsbRelease: '2024.4',
    lsbCodename: 'kali-rolling',
    packageManager: 'apt',
    compiler: 'x86_64-linux-gnu-gcc-14 (Debian 14.2.0-8) 14.2.0, GNU ld (GNU Binutils for Debian) 2.43.1',
    busybox: false,
  },
  arch: {
    osRelease: osr({
      NAME: 'Arch Linux',
      PRETTY_NAME: 'Arch Linux',
      ID: 'arch',
      BUILD_ID: 'rolling',
      HOME_URL: 'https://archlinux.org/',
    }),
    lsbId: 'Arch',
    lsbDescription: 'Arch Linux',
    lsbRelease: 'rolling',
    lsbCodename: 'n/a',
    packageManager: 'pacman',
    compiler: 'gcc (GCC) 14.2.1 20240910, GNU ld (GNU Binutils) 2.43.0',
    busybox: false,
  },
  windows: {
    osRelease: osr({ NAME: 'Linux', ID: 'linux', PRETTY_NAME: 'Linux' }),
    lsbId: 'n/a',
    lsbDescription: 'n/a',
    lsbRelease: 'n/a',
    lsbCodename: 'n/a',
    packageManager: 'apt',
    compiler: 'gcc',
    busybox: false,
  },
};

/** Hardware and boot facts, stable per decky (same answers every session, different per decky). */
export type MachineFacts = Readonly<{
  cpus: number;
  cpuModel: string;
  mhz: number;
  memKb: number;
  diskGb: number;
  bootMs: number;
  mac: string;
  ip: string;
  /** Kernel build date for `uname -v` and /proc/version. */
  build: string;
}>;

const models = [
  'Intel(R) Xeon(R) CPU E5-2680 v4 @ 2.40GHz',
  'Intel(R) Xeon(R) Gold 6230R CPU @ 2.10GHz',
  'Intel(R) Xeon(R) Silver 4214 CPU @ 2.20GHz',
  'AMD EPYC 7302P 16-Core Processor',
] as const;

export function machineFacts(id: ShellIdentity, now: number): MachineFacts {
  const h = createHash('sha256')
    .update(`${id.seed ?? id.hostname}\0machine`)
    .digest();
  const cpus = [2, 4, 4, 8][h[0]! % 4]!;
  const memGb = [4, 8, 16][h[1]! % 3]!;
  const model = models[h[2]! % models.length]!;
  return {
    cpus,
    cpuModel: model,
    mhz: model.includes('AMD') ? 2994.374 : Number(/@ ([\d.]+)GHz/.exec(model)?.[1] ?? '2.4') * 1000,
    memKb: memGb * 1024 * 1024 - 200_000 - h[3]! * 1024,
    diskGb: [40, 80, 100, 200][h[4]! % 4]!,
    // Up between 3 and 90 days, rounded to the minute; the same boot for every session of a day.
    bootMs: Math.floor(now / 86_400_000) * 86_400_000 - (3 + (h[5]! % 87)) * 86_400_000 - h.readUInt16BE(6) * 60_000,
    mac: `52:54:00:${h.subarray(8, 11).toString('hex').match(/../g)!.join(':')}`,
    ip: id.ip ?? `10.0.${h[11]! % 200}.${10 + (h[12]! % 200)}`,
    build: kernelBuild(id.kernel),
  };
}

/** `uname -v` per kernel flavour (what each distro's kernel package prints). */
function kernelBuild(kernel: string): string {
  if (kernel.endsWith('-amd64')) return '#1 SMP PREEMPT_DYNAMIC Debian 6.1.112-1 (2024-09-30)';
  if (kernel.endsWith('-generic'))
    return `#${/-(\d+)-generic/.exec(kernel)?.[1] ?? '1'}-Ubuntu SMP Fri Aug 2 19:25:20 UTC 2024`;
  if (kernel.includes('.el')) return '#1 SMP PREEMPT_DYNAMIC Thu Aug 29 15:03:36 UTC 2024';
  if (kernel.endsWith('-lts')) return '#1-Alpine SMP PREEMPT_DYNAMIC 2024-10-23 08:19:57';
  return '#1 SMP PREEMPT_DYNAMIC Tue Oct 22 19:21:13 UTC 2024';
}

/** The bash each distro ships (`bash --version`, `$BASH_VERSION`). */
export const bashVersions: Readonly<Record<DistroName, string>> = {
  debian: '5.2.15(1)-release',
  ubuntu22: '5.1.16(1)-release',
  ubuntu20: '5.0.17(1)-release',
  rocky9: '5.1.8(1)-release',
  centos7: '4.2.46(2)-release',
  alpine: '5.2.21(1)-release',
  fedora: '5.2.26(1)-release',
  kali: '5.2.32(1)-release',
  arch: '5.2.37(1)-release',
  windows: '5.2.15(1)-release',
};

export function distroOf(id: ShellIdentity): DistroName {
  return id.distro && id.distro in distros ? id.distro : 'debian';
}

/** uid 0 for root, 1000… for persona users in order (as adduser hands them out). */
export function userTable(id: ShellIdentity): UserInfo[] {
  const names = [...new Set([...(id.users ?? []), id.user])].filter((u) => /^[a-z_][a-z0-9_.-]{0,31}$/i.test(u));
  const shell = distroOf(id) === 'alpine' ? '/bin/ash' : '/bin/bash';
  const out: UserInfo[] = [{ name: 'root', uid: 0, gid: 0, home: '/root', shell }];
  let next = 1000;
  for (const n of names) if (n !== 'root') out.push({ name: n, uid: next, gid: next++, home: `/home/${n}`, shell });
  return out;
}

import { bashVersions, distroFacts, distroOf } from '../facts';
import { type CommandTable, type Io, type ShellState } from '../types';
import { quoteWord } from './builtins';

/**
 * Privilege, nested shells, package managers and interpreters. Nothing here runs anything: `sh -c`
 * and `sudo cmd` re-enter this interpreter, installers refuse the way a locked-down host does, and
 * interpreters answer with their version or a plausible missing-binary error.
 */
function nestedShell(name: string) {
  return (sh: ShellState, args: readonly string[], io: Io): number => {
    const c = args.indexOf('-c');
    if (c >= 0)
      return args[c + 1] === undefined
        ? (io.err(`${name}: -c: option requires an argument\n`), 2)
        : sh.runNested(args[c + 1]!, io);
    if (args.includes('--version') && name === 'bash') {
      const v = bashVersions[distroOf(sh.id)];
      const rh = /^(4\.2|5\.1\.8|5\.2\.26)/.test(v);
      io.out(
        `GNU bash, version ${v} (x86_64-${rh ? 'redhat' : 'pc'}-linux-gnu)\nCopyright (C) ${v.startsWith('4') ? 2011 : v.startsWith('5.0') ? 2019 : v.startsWith('5.1') ? 2020 : 2022} Free Software Foundation, Inc.\n`,
      );
      return 0;
    }
    const script = args.find((a) => !a.startsWith('-'));
    if (script) {
      const node = sh.fs.stat(sh.resolve(script));
      if (!node) {
        io.err(`${name}: ${script}: No such file or directory\n`);
        return 127;
      }
      if (node.kind === 'dir') {
        io.err(`${name}: ${script}: Is a directory\n`);
        return 126;
      }
      return node.content ? sh.runNested(node.content, io) : 0;
    }
    // An interactive sub-shell would read stdin: run what was piped in (`curl … | sh`).
    return io.stdin ? sh.runNested(io.stdin, io) : 0;
  };
}

function sudo(sh: ShellState, args: readonly string[], io: Io): number {
  const rest = args.filter((a, i) => !(a.startsWith('-') && i === 0) || a === '-i' || a === '-s');
  if (!args.length) {
    io.err('usage: sudo -h | -K | -k | -V\nusage: sudo -v [-ABknS] [-g group] [-h host] [-p prompt] [-u user]\n');
    return 1;
  }
  if (sh.user.uid !== 0) {
    // Without a tty the password prompt cannot be answered; sudo says so and fails.
    io.err(`[sudo] password for ${sh.user.name}: \nsudo: a password is required\n`);
    return 1;
  }
  if (rest[0] === '-i' || rest[0] === '-s' || args[0] === 'su') return 0;
  const cmd = args.filter((a) => !/^-[A-Za-z]+$/.test(a));
  return cmd.length ? sh.runNested(cmd.map(quoteWord).join(' '), io) : 0;
}

function su(sh: ShellState, args: readonly string[], io: Io): number {
  const target = args.find((a) => !a.startsWith('-')) ?? 'root';
  const u = sh.users.find((x) => x.name === target);
  if (!u) {
    io.err(`su: user ${target} does not exist or the user entry does not contain all the required fields\n`);
    return 1;
  }
  if (sh.user.uid !== 0) {
    io.err('Password: \nsu: Authentication failure\n');
    return 1;
  }
  const c = args.indexOf('-c');
  if (c >= 0 && args[c + 1] !== undefined) {
    const was = sh.user;
    sh.user = u;
    try {
      return sh.runNested(args[c + 1]!, io);
    } finally {
      sh.user = was;
    }
  }
  // `su user` switches the rest of the session, as the nested login shell would.
  sh.user = u;
  sh.cwd = args.includes('-') || args.includes('-l') ? u.home : sh.cwd;
  return 0;
}

function passwd(sh: ShellState, args: readonly string[], io: Io): number {
  const target = args.find((a) => !a.startsWith('-')) ?? sh.user.name;
  if (target !== sh.user.name && sh.user.uid !== 0) {
    io.err(`passwd: You may not view or modify password information for ${target}.\n`);
    return 1;
  }
  if (!sh.users.some((u) => u.name === target)) {
    io.err(`passwd: user '${target}' does not exist\n`);
    return 1;
  }
  // Non-interactive: the new password must come on stdin (`echo pw | passwd`), read twice.
  const lines = io.stdin.split('\n');
  io.err(`New password: Retype new password: `);
  if (lines.length >= 2 && lines[0] === lines[1] && lines[0] !== '') {
    io.err('\npasswd: password updated successfully\n');
    return 0;
  }
  io.err('\npasswd: Authentication token manipulation error\npasswd: password unchanged\n');
  return 10;
}

function chpasswd(_sh: ShellState, _args: readonly string[], io: Io): number {
  return io.stdin.trim() ? 0 : 1;
}

function packageManager(tool: string) {
  return (sh: ShellState, args: readonly string[], io: Io): number => {
    const d = distroFacts[distroOf(sh.id)];
    const mine =
      tool === d.packageManager ||
      (tool === 'apt-get' && d.packageManager === 'apt') ||
      (tool === 'yum' && d.packageManager === 'dnf');
    if (!mine) {
      io.err(`${sh.errPrefix()}${tool}: command not found\n`);
      return 127;
    }
    if (!args.length) {
      io.out(`${tool} 2.6.1 (amd64)\nUsage: ${tool} [options] command\n`);
      return 1;
    }
    if (sh.user.uid !== 0) {
      io.err(
        tool.startsWith('apt')
          ? 'E: Could not open lock file /var/lib/dpkg/lock-frontend - open (13: Permission denied)\nE: Unable to acquire the dpkg frontend lock (/var/lib/dpkg/lock-frontend), are you root?\n'
          : 'Error: This command has to be run with superuser privileges (under the root user on most systems).\n',
      );
      return 100;
    }
    // As root: the package index cannot be reached (the decky has no route out), as apt/dnf say it.
    if (tool.startsWith('apt')) {
      io.out('Reading package lists... Done\n');
      if (args[0] === 'update') {
        io.err(
          d.lsbId === 'Ubuntu'
            ? `Err:1 http://archive.ubuntu.com/ubuntu ${d.lsbCodename} InRelease\n  Temporary failure resolving 'archive.ubuntu.com'\nW: Some index files failed to download. They have been ignored, or old ones used instead.\n`
            : `Err:1 http://${d.lsbId === 'Kali' ? 'http.kali.org/kali' : 'deb.debian.org/debian'} ${d.lsbCodename} InRelease\n  Temporary failure resolving '${d.lsbId === 'Kali' ? 'http.kali.org' : 'deb.debian.org'}'\nW: Some index files failed to download. They have been ignored, or old ones used instead.\n`,
        );
        return 0;
      }
      io.out('Building dependency tree... Done\nReading state information... Done\n');
      const pkg = args.filter((a) => !a.startsWith('-'))[1];
      if (pkg) {
        io.err(`E: Unable to locate package ${pkg}\n`);
        return 100;
      }
      return 0;
    }
    if (tool === 'apk') {
      io.err('WARNING: fetching https://dl-cdn.alpinelinux.org/alpine/v3.19/main: temporary error (try again later)\n');
      return 1;
    }
    io.err(
      `Error: Failed to download metadata for repo 'baseos': Cannot download repomd.xml: Cannot download repodata/repomd.xml: All mirrors were tried\n`,
    );
    return 1;
  };
}

/**
 * Interpreter versions a stock server of each distro has (`null`: not installed). CentOS 7's
 * `python` is 2.7, which prints its version on stderr; perl is part of every base system but Alpine.
 */
export const interpreters: Readonly<
  Record<string, Readonly<{ python: string | null; python3: string | null; perl: string | null }>>
> = {
  debian: { python: null, python3: '3.11.2', perl: '5.36.0' },
  ubuntu22: { python: null, python3: '3.10.12', perl: '5.34.0' },
  ubuntu20: { python: null, python3: '3.8.10', perl: '5.30.0' },
  rocky9: { python: null, python3: '3.9.18', perl: '5.32.1' },
  centos7: { python: '2.7.5', python3: null, perl: '5.16.3' },
  alpine: { python: null, python3: null, perl: null },
  fedora: { python: '3.12.7', python3: '3.12.7', perl: '5.38.2' },
  kali: { python: null, python3: '3.12.7', perl: '5.40.0' },
  arch: { python: '3.12.7', python3: '3.12.7', perl: '5.40.0' },
  windows: { python: null, python3: null, perl: null },
};

function interpreter(name: 'python' | 'python3' | 'perl') {
  return (sh: ShellState, args: readonly string[], io: Io): number => {
    const version = interpreters[distroOf(sh.id)]?.[name] ?? null;
    if (version === null) {
      io.err(`${sh.errPrefix()}${name}: command not found\n`);
      return 127;
    }
    if (args.includes('-V') || args.includes('--version') || (name === 'perl' && args.includes('-v'))) {
      const [major, minor, patch] = version.split('.');
      if (name === 'perl')
        io.out(
          `\nThis is perl ${major}, version ${minor}, subversion ${patch} (v${version}) built for x86_64-linux-gnu-thread-multi\n`,
        );
      else if (version.startsWith('2.')) io.err(`Python ${version}\n`);
      else io.out(`Python ${version}\n`);
      return 0;
    }
    // `-c`/`-e` code and scripts are never run; they exit as a script that did its work quietly.
    return 0;
  };
}

/** busybox applets are this shell's own commands; `busybox` alone prints the applet list. */
function busybox(sh: ShellState, args: readonly string[], io: Io): number {
  const [applet, ...rest] = args;
  if (!applet || applet === '--help') {
    io.out(
      'BusyBox v1.36.1 (2023-11-07 18:53:09 UTC) multi-call binary.\nBusyBox is copyrighted by many authors between 1998-2015.\nLicensed under GPLv2. See source distribution for detailed\ncopyright notices.\n\nUsage: busybox [function [arguments]...]\n\nCurrently defined functions:\n\t[, [[, ash, base64, cat, chmod, chown, cp, cut, date, df, dmesg, echo, free, grep, head, hostname, id, ifconfig, kill, killall, ls, mkdir, mount, mv, nproc, ping, ps, pwd, rm, sh, sleep, tail, tftp, top, touch, uname, uptime, wc, wget, which, whoami\n',
    );
    return applet ? 0 : 0;
  }
  if (!sh.hasCommand(applet) || ['apt', 'yum', 'systemctl', 'python', 'perl'].includes(applet)) {
    io.err(`${applet}: applet not found\n`);
    return 127;
  }
  return sh.runNested([applet, ...rest].map(quoteWord).join(' '), io);
}

export const miscCommands: CommandTable = {
  sh: nestedShell('sh'),
  bash: nestedShell('bash'),
  dash: nestedShell('dash'),
  ash: nestedShell('ash'),
  sudo,
  su,
  passwd,
  chpasswd,
  apt: packageManager('apt'),
  'apt-get': packageManager('apt-get'),
  yum: packageManager('yum'),
  dnf: packageManager('dnf'),
  apk: packageManager('apk'),
  python: interpreter('python'),
  python3: interpreter('python3'),
  perl: interpreter('perl'),
  busybox,
  chattr: (sh, args, io) => {
    const file = args.find((a) => !/^[-+=]/.test(a));
    if (file && !sh.fs.stat(sh.resolve(file)))
      return (io.err(`chattr: No such file or directory while trying to stat ${file}\n`), 1);
    return sh.user.uid === 0
      ? 0
      : (io.err(`chattr: Operation not permitted while setting flags on ${file ?? ''}\n`), 1);
  },
  reboot: (sh, _a, io) =>
    sh.user.uid === 0
      ? ((sh.exited = true), 0)
      : (io.err(
          'Failed to set wall message, ignoring: Interactive authentication required.\nCall to Reboot failed: Interactive authentication required.\n',
        ),
        1),
  shutdown: (sh, _a, io) =>
    sh.user.uid === 0 ? 0 : (io.err('Failed to set wall message, ignoring: Interactive authentication required.\n'), 1),
  useradd: (sh, _a, io) =>
    sh.user.uid === 0
      ? 0
      : (io.err('useradd: Permission denied.\nuseradd: cannot lock /etc/passwd; try again later.\n'), 1),
  iptables: (sh, _a, io) =>
    sh.user.uid === 0
      ? 0
      : (io.err(
          'iptables v1.8.9 (nf_tables): Could not fetch rule set generation id: Permission denied (you must be root)\n',
        ),
        4),
};

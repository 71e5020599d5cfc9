import { distroOf } from '../facts';
import { type CommandTable, type Io, type ShellState, usage } from '../types';
import { uptimeLine } from './system';
import { memInfo } from '../proc-files';

/** Processes, services and cron: a fixed per-distro process table with the session's own shell. */
type Proc = Readonly<{ pid: number; user: string; cmd: string; vsz: number; rss: number; stat: string; tty: string }>;

export function processTable(sh: ShellState, self: string): Proc[] {
  const rhel = ['rocky9', 'centos7', 'fedora'].includes(distroOf(sh.id));
  const p = (pid: number, cmd: string, vsz = 0, rss = 0, stat = 'S', user = 'root', tty = '?'): Proc => ({
    pid,
    user,
    cmd,
    vsz,
    rss,
    stat,
    tty,
  });
  const base = [
    p(1, '/sbin/init', 167_460, 12_904, 'Ss'),
    p(2, '[kthreadd]'),
    p(3, '[rcu_gp]', 0, 0, 'I<'),
    p(9, '[ksoftirqd/0]'),
    p(10, '[rcu_sched]', 0, 0, 'I'),
    p(14, '[migration/0]'),
    p(312, '/lib/systemd/systemd-journald', 48_252, 15_360, 'Ss'),
    p(341, '/lib/systemd/systemd-udevd', 25_376, 6_540, 'Ss'),
    p(512, '/usr/sbin/cron -f', 6_680, 2_688, 'Ss'),
    p(518, rhel ? '/usr/sbin/rsyslogd -n' : '/usr/sbin/rsyslogd -n -iNONE', 222_220, 5_120, 'Ssl'),
    p(530, '/lib/systemd/systemd-logind', 17_020, 7_680, 'Ss'),
    p(611, 'sshd: /usr/sbin/sshd -D [listener] 0 of 10-100 startups', 15_428, 9_344, 'Ss'),
    p(640, '/sbin/agetty -o -p -- \\u --noclear - linux', 5_872, 1_920, 'Ss+', 'root', 'tty1'),
    p(24051, `sshd: ${sh.user.name}@pts/0`, 17_204, 10_752, 'Ss'),
    p(24077, '-bash', 8_320, 5_248, 'Ss', sh.user.name, 'pts/0'),
    p(24117, self, 11_204, 4_608, 'R+', sh.user.name, 'pts/0'),
  ];
  return base.filter((x) => !sh.killed.has(x.pid));
}

function ps(sh: ShellState, args: readonly string[], io: Io): number {
  const joined = args.join(' ');
  const procs = processTable(sh, `ps ${joined}`.trim());
  const start = (pid: number) =>
    pid < 24000
      ? new Date(sh.facts.bootMs).toUTCString().slice(8, 11) + new Date(sh.facts.bootMs).toUTCString().slice(5, 7)
      : new Date(sh.now()).toISOString().slice(11, 16);
  if (/(^|\s)-?a?u?x[a-z]*|(^|\s)-?aux/.test(joined) && /u/.test(joined) && /x/.test(joined)) {
    io.out('USER         PID %CPU %MEM    VSZ   RSS TTY      STAT START   TIME COMMAND\n');
    for (const x of procs) {
      const mem = ((x.rss / sh.facts.memKb) * 100).toFixed(1);
      io.out(
        `${x.user.padEnd(8)} ${String(x.pid).padStart(7)}  0.0 ${mem.padStart(4)} ${String(x.vsz).padStart(6)} ${String(x.rss).padStart(5)} ${x.tty.padEnd(8)} ${x.stat.padEnd(4)} ${start(x.pid).padStart(5)}   0:00 ${x.cmd}\n`,
      );
    }
    return 0;
  }
  if (/-e|-A/.test(joined)) {
    const full = /f/.test(joined);
    io.out(full ? 'UID          PID    PPID  C STIME TTY          TIME CMD\n' : '    PID TTY          TIME CMD\n');
    for (const x of procs) {
      const name = x.cmd.startsWith('[') ? x.cmd.slice(1, -1) : (x.cmd.split(' ')[0] ?? '').split('/').pop()!;
      if (full)
        io.out(
          `${x.user.padEnd(8)} ${String(x.pid).padStart(7)} ${String(x.pid === 1 || x.pid === 2 ? 0 : x.cmd.startsWith('[') ? 2 : 1).padStart(7)}  0 ${start(x.pid).padEnd(5)} ${x.tty.padEnd(8)} 00:00:00 ${x.cmd}\n`,
        );
      else io.out(`${String(x.pid).padStart(7)} ${x.tty.padEnd(8)} 00:00:00 ${name}\n`);
    }
    return 0;
  }
  if (args.some((a) => /^-?[a-zA-Z]+$/.test(a) && !/^-?[aAefuxlw]+$/.test(a)))
    return usage(io, 'ps', `error: unsupported option (BSD syntax)`);
  io.out('    PID TTY          TIME CMD\n  24077 pts/0    00:00:00 bash\n  24117 pts/0    00:00:00 ps\n');
  return 0;
}

function top(sh: ShellState, args: readonly string[], io: Io): number {
  // On a terminal one screen is drawn (the session has no key input loop); elsewhere procps's error.
  if (!args.some((a) => a.includes('b')) && io.tty !== true) {
    io.err('top: failed tty get\n');
    return 1;
  }
  const procs = processTable(sh, 'top');
  const m = memInfo(sh.facts);
  const mib = (kb: number) => (kb / 1024).toFixed(1).padStart(8);
  io.out(
    `top - ${uptimeLine(sh)
      .trim()
      .replace(/^(\S+) up/, '$1 up')}\n`,
  );
  io.out(
    `Tasks: ${String(procs.length + 100).padStart(3)} total,   1 running, ${String(procs.length + 99).padStart(3)} sleeping,   0 stopped,   0 zombie\n`,
  );
  io.out('%Cpu(s):  0.0 us,  3.1 sy,  0.0 ni, 96.9 id,  0.0 wa,  0.0 hi,  0.0 si,  0.0 st \n');
  io.out(
    `MiB Mem : ${mib(m.total)} total, ${mib(m.free)} free, ${mib(m.total - m.free - m.cached - m.buffers)} used, ${mib(m.cached + m.buffers)} buff/cache     \n`,
  );
  io.out(`MiB Swap:      0.0 total,      0.0 free,      0.0 used. ${mib(m.avail)} avail Mem \n\n`);
  io.out('    PID USER      PR  NI    VIRT    RES    SHR S  %CPU  %MEM     TIME+ COMMAND\n');
  for (const x of procs) {
    const name = x.cmd.startsWith('[')
      ? x.cmd.slice(1, -1)
      : (x.cmd.replace(/^-/, '').split(/[ :]/)[0] ?? '').split('/').pop()!;
    io.out(
      `${String(x.pid).padStart(7)} ${x.user.padEnd(8)}  20   0 ${String(x.vsz).padStart(7)} ${String(x.rss).padStart(6)} ${String(Math.floor(x.rss * 0.6)).padStart(6)} ${x.stat[0]}   0.0 ${((x.rss / sh.facts.memKb) * 100).toFixed(1).padStart(5)}   0:00.${String(x.pid % 97).padStart(2, '0')} ${name}\n`,
    );
  }
  return 0;
}

function kill(sh: ShellState, args: readonly string[], io: Io): number {
  const pids = args.filter((a) => !a.startsWith('-'));
  if (args[0] === '-l') {
    io.out(
      ' 1) SIGHUP\t 2) SIGINT\t 3) SIGQUIT\t 4) SIGILL\t 5) SIGTRAP\n 6) SIGABRT\t 7) SIGBUS\t 8) SIGFPE\t 9) SIGKILL\t10) SIGUSR1\n',
    );
    return 0;
  }
  if (!pids.length) {
    io.err(
      `${sh.errPrefix()}kill: usage: kill [-s sigspec | -n signum | -sigspec] pid | jobspec ... or kill -l [sigspec]\n`,
    );
    return 2;
  }
  let code = 0;
  const table = processTable(sh, 'kill');
  for (const p of pids) {
    const n = Number(p);
    const proc = table.find((x) => x.pid === n);
    if (!/^\d+$/.test(p)) {
      io.err(`${sh.errPrefix()}kill: ${p}: arguments must be process or job IDs\n`);
      code = 1;
    } else if (!proc) {
      io.err(`${sh.errPrefix()}kill: (${p}) - No such process\n`);
      code = 1;
    } else if (sh.user.uid !== 0 && proc.user !== sh.user.name) {
      io.err(`${sh.errPrefix()}kill: (${p}) - Operation not permitted\n`);
      code = 1;
    } else if (n > 24000) sh.killed.add(n);
  }
  return code;
}

function killall(tool: string) {
  return (sh: ShellState, args: readonly string[], io: Io): number => {
    const names = args.filter((a) => !a.startsWith('-'));
    if (!names.length) {
      io.err(
        tool === 'pkill'
          ? "pkill: no matching criteria specified\nTry `pkill --help' for more information.\n"
          : 'Usage: killall [OPTION]... [--] NAME...\n',
      );
      return tool === 'pkill' ? 2 : 1;
    }
    const hit = processTable(sh, tool).some((x) => names.some((n) => x.cmd.includes(n)));
    if (!hit && tool === 'killall') for (const n of names) io.err(`${n}: no process found\n`);
    return hit ? 0 : 1;
  };
}

function crontab(sh: ShellState, args: readonly string[], io: Io): number {
  const user = sh.user.name;
  if (args.includes('-l')) {
    const tab = sh.crontabs.get(user);
    if (tab === undefined) {
      io.err(`no crontab for ${user}\n`);
      return 1;
    }
    io.out(tab);
    return 0;
  }
  if (args.includes('-r')) {
    if (!sh.crontabs.delete(user)) {
      io.err(`no crontab for ${user}\n`);
      return 1;
    }
    return 0;
  }
  if (args.includes('-e')) {
    // No editor on a non-interactive stream: the answer of crontab -e with EDITOR unusable.
    io.err(`no crontab for ${user} - using an empty one\ncrontab: "/usr/bin/sensible-editor" exited with status 1\n`);
    return 1;
  }
  const file = args.find((a) => !a.startsWith('-'));
  let text = io.stdin;
  if (file && file !== '-') {
    const node = sh.fs.stat(sh.resolve(file));
    if (!node || node.kind === 'dir') {
      io.err(`${file}: No such file or directory\n`);
      return 1;
    }
    text = node.content ?? '';
  }
  const bad = text
    .split('\n')
    .findIndex(
      (l) =>
        l.trim() !== '' &&
        !l.trim().startsWith('#') &&
        !/^(@\w+|(\S+\s+){5})\S/.test(l.trim()) &&
        !/^\w+=/.test(l.trim()),
    );
  if (bad >= 0) {
    io.err(`"-":${bad + 1}: bad minute\nerrors in crontab file, can't install.\n`);
    return 1;
  }
  sh.crontabs.set(user, text.endsWith('\n') || text === '' ? text : text + '\n');
  return 0;
}

const units = ['ssh', 'sshd', 'cron', 'crond', 'rsyslog', 'systemd-journald', 'nginx', 'apache2', 'mysql', 'docker'];

function systemctl(sh: ShellState, args: readonly string[], io: Io): number {
  const [verb, unit = ''] = args.filter((a) => !a.startsWith('-'));
  const name = unit.replace(/\.service$/, '');
  if (!verb) {
    io.out(
      '  UNIT                      LOAD   ACTIVE SUB     DESCRIPTION\n  cron.service              loaded active running Regular background program processing daemon\n  ssh.service               loaded active running OpenBSD Secure Shell server\n',
    );
    return 0;
  }
  if (['start', 'stop', 'restart', 'enable', 'disable', 'reload'].includes(verb) && sh.user.uid !== 0) {
    io.err(
      `Failed to ${verb} ${name}.service: Interactive authentication required.\nSee system logs and 'systemctl status ${name}.service' for details.\n`,
    );
    return 1;
  }
  if (!units.slice(0, 6).includes(name) && name) {
    io.err(
      verb === 'status'
        ? `Unit ${name}.service could not be found.\n`
        : `Failed to ${verb} ${name}.service: Unit ${name}.service not found.\n`,
    );
    return verb === 'status' ? 4 : 5;
  }
  if (verb === 'status')
    io.out(
      `● ${name}.service\n     Loaded: loaded (/lib/systemd/system/${name}.service; enabled; preset: enabled)\n     Active: active (running) since ${new Date(sh.facts.bootMs).toUTCString()}\n`,
    );
  if (verb === 'is-active') io.out('active\n');
  return 0;
}

export const procCommands: CommandTable = {
  ps,
  top,
  kill,
  killall: killall('killall'),
  pkill: killall('pkill'),
  crontab,
  systemctl,
  service: (sh, args, io) => {
    if (args[0] === '--status-all') return (io.out(' [ + ]  cron\n [ + ]  ssh\n [ - ]  rsync\n'), 0);
    if (!args[0] || !args[1])
      return (io.err('Usage: service < option > | --status-all | [ service_name [ command | --full-restart ] ]\n'), 1);
    return systemctl(sh, [args[1], args[0]], io);
  },
};

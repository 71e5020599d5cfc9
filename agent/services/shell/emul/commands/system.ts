import { distroFacts, distroOf } from '../facts';
import { memInfo, mounts } from '../proc-files';
import { type CommandTable, type Io, type ShellState, splitFlags, usage } from '../types';

/** Identity and machine facts: uname, id, uptime, free, df, lscpu… all from the same persona facts. */
function uname(sh: ShellState, args: readonly string[], io: Io): number {
  const { flags, long } = splitFlags(args);
  const bad =
    [...flags].find((f) => !'asnrvmpio'.includes(f)) ?? (long.find((l) => l !== '--all') ? long[0] : undefined);
  if (bad)
    return usage(io, 'uname', bad.startsWith('--') ? `unrecognized option '${bad}'` : `invalid option -- '${bad}'`);
  const rhel = /\.el\d/.test(sh.id.kernel) || sh.id.kernel.includes('fc');
  const parts: Record<string, string> = {
    s: 'Linux',
    n: sh.id.hostname,
    r: sh.id.kernel,
    v: sh.facts.build,
    m: 'x86_64',
    p: rhel ? 'x86_64' : 'unknown',
    i: rhel ? 'x86_64' : 'unknown',
    o: 'GNU/Linux',
  };
  const all = flags.has('a') || long.includes('--all');
  // -a leaves out -p and -i when they are "unknown", as coreutils does.
  const order = all
    ? ['s', 'n', 'r', 'v', 'm', ...(rhel ? ['p', 'i'] : []), 'o']
    : ['s', 'n', 'r', 'v', 'm', 'p', 'i', 'o'].filter((k) => flags.has(k));
  io.out((order.length ? order : ['s']).map((k) => parts[k]).join(' ') + '\n');
  return 0;
}

function groupsOf(sh: ShellState, name: string): string {
  const u = sh.users.find((x) => x.name === name)!;
  return u.uid === 0 ? '0(root)' : `${u.gid}(${u.name}),4(adm),24(cdrom),27(sudo),30(dip),46(plugdev)`;
}

function id(sh: ShellState, args: readonly string[], io: Io): number {
  const name = args.find((a) => !a.startsWith('-')) ?? sh.user.name;
  const u = sh.users.find((x) => x.name === name);
  if (!u) {
    io.err(`id: ‘${name}’: no such user\n`);
    return 1;
  }
  if (args.includes('-u')) io.out((args.includes('-n') ? u.name : String(u.uid)) + '\n');
  else if (args.includes('-g')) io.out((args.includes('-n') ? u.name : String(u.gid)) + '\n');
  else if (args.includes('-G')) io.out((u.uid === 0 ? '0' : `${u.gid} 4 24 27 30 46`) + '\n');
  else io.out(`uid=${u.uid}(${u.name}) gid=${u.gid}(${u.name}) groups=${groupsOf(sh, u.name)}\n`);
  return 0;
}

/** ` 09:14:21 up 12 days,  3:05,  1 user,  load average: 0.08, 0.03, 0.01` (procps uptime). */
export function uptimeLine(sh: ShellState): string {
  const now = new Date(sh.now());
  const hms = now.toISOString().slice(11, 19);
  const mins = Math.floor((sh.now() - sh.facts.bootMs) / 60_000);
  const days = Math.floor(mins / 1440);
  const h = Math.floor((mins % 1440) / 60);
  const m = mins % 60;
  const up = `${days ? `${days} day${days === 1 ? '' : 's'}, ` : ''}${h ? `${String(h).padStart(2)}:${String(m).padStart(2, '0')}` : `${m} min`}`;
  return ` ${hms} up ${up},  1 user,  load average: 0.08, 0.03, 0.01`;
}

function loginFrom(sh: ShellState): string {
  return sh.env.get('SSH_CLIENT')?.split(' ')[0] ?? '10.0.0.23';
}

function w(sh: ShellState, _args: readonly string[], io: Io): number {
  const t = new Date(sh.now()).toISOString().slice(11, 16);
  io.out(`${uptimeLine(sh)}\nUSER     TTY      FROM             LOGIN@   IDLE   JCPU   PCPU WHAT\n`);
  io.out(`${sh.user.name.padEnd(8)} pts/0    ${loginFrom(sh).padEnd(16)} ${t}    0.00s  0.02s  0.00s w\n`);
  return 0;
}

function free(sh: ShellState, args: readonly string[], io: Io): number {
  const m = memInfo(sh.facts);
  const used = m.total - m.free - m.buffers - m.cached;
  const cache = m.buffers + m.cached;
  const human = args.includes('-h');
  const div = args.includes('-m') ? 1024 : args.includes('-g') ? 1024 * 1024 : 1;
  const fmt = (kb: number) => {
    if (!human) return String(Math.floor(kb / div));
    const gi = kb / 1024 / 1024;
    if (kb === 0) return '0B';
    return gi >= 1 ? `${gi.toFixed(gi < 10 ? 1 : 0)}Gi` : `${(kb / 1024).toFixed(kb / 1024 < 10 ? 1 : 0)}Mi`;
  };
  // procps: the label in 8 columns, then every value right-aligned in 12.
  const row = (label: string, vals: number[]) => label.padEnd(8) + vals.map((v) => fmt(v).padStart(12)).join('');
  const head = '               total        used        free      shared  buff/cache   available';
  io.out(`${head}\n${row('Mem:', [m.total, used, m.free, m.shmem, cache, m.avail])}\n${row('Swap:', [0, 0, 0])}\n`);
  return 0;
}

function df(sh: ShellState, args: readonly string[], io: Io): number {
  const human = args.includes('-h');
  const total = sh.facts.diskGb * 1024 * 1024;
  const used = Math.floor(total * 0.23) + (sh.fs.usedBytes >> 10);
  const memKb = Math.floor(sh.facts.memKb / 2);
  const rows: [string, number, number, string][] = [
    ['udev', memKb, 0, '/dev'],
    ['tmpfs', Math.floor(memKb / 5), 1_024, '/run'],
    ['/dev/sda1', total, used, '/'],
    ['tmpfs', memKb, 0, '/dev/shm'],
    ['tmpfs', 5_120, 0, '/run/lock'],
  ];
  const size = (kb: number) => {
    if (!human) return String(kb);
    if (kb === 0) return '0';
    const units = ['K', 'M', 'G', 'T'];
    let v = kb;
    let u = 0;
    while (v >= 1024 && u < 3) {
      v /= 1024;
      u++;
    }
    return `${v < 10 ? (Math.ceil(v * 10) / 10).toFixed(1) : Math.ceil(v)}${units[u]}`;
  };
  const table = [
    ['Filesystem', human ? 'Size' : '1K-blocks', 'Used', human ? 'Avail' : 'Available', 'Use%', 'Mounted on'],
  ];
  for (const [fs, t, u, on] of rows)
    table.push([fs, size(t), size(u), size(t - u), `${Math.ceil((u / t) * 100)}%`, on]);
  // coreutils df's minimum column widths (source 14, numbers 5, Use% 4), widened by content.
  const minimum = [14, 5, 5, 5, 4];
  const widths = minimum.map((min, i) => Math.max(min, ...table.map((r) => r[i]!.length)));
  for (const r of table)
    io.out(r.map((c, i) => (i === 0 ? c.padEnd(widths[0]!) : i === 5 ? c : c.padStart(widths[i]!))).join(' ') + '\n');
  return 0;
}

function lscpu(sh: ShellState, _args: readonly string[], io: Io): number {
  const f = sh.facts;
  const amd = f.cpuModel.includes('AMD');
  const rows: [string, string][] = [
    ['Architecture', 'x86_64'],
    ['CPU op-mode(s)', '32-bit, 64-bit'],
    ['Address sizes', '46 bits physical, 48 bits virtual'],
    ['Byte Order', 'Little Endian'],
    ['CPU(s)', String(f.cpus)],
    ['On-line CPU(s) list', `0-${f.cpus - 1}`],
    ['Vendor ID', amd ? 'AuthenticAMD' : 'GenuineIntel'],
    ['Model name', f.cpuModel],
    ['CPU family', amd ? '23' : '6'],
    ['Model', amd ? '49' : '79'],
    ['Thread(s) per core', '1'],
    ['Core(s) per socket', String(f.cpus)],
    ['Socket(s)', '1'],
    ['Stepping', amd ? '0' : '1'],
    ['BogoMIPS', (f.mhz * 2).toFixed(2)],
    ['Hypervisor vendor', 'KVM'],
    ['Virtualization type', 'full'],
  ];
  for (const [k, v] of rows) io.out(`${`${k}:`.padEnd(40)} ${v}\n`);
  return 0;
}

function lsbRelease(sh: ShellState, args: readonly string[], io: Io): number {
  const d = distroFacts[distroOf(sh.id)];
  const { flags } = splitFlags(args);
  const all = flags.has('a');
  const short = flags.has('s');
  if (all || flags.size === 0) io.err('No LSB modules are available.\n');
  const rows: [string, string, string][] = [
    ['i', 'Distributor ID', d.lsbId],
    ['d', 'Description', d.lsbDescription],
    ['r', 'Release', d.lsbRelease],
    ['c', 'Codename', d.lsbCodename],
  ];
  for (const [f, label, v] of rows) if (all || flags.has(f)) io.out(short ? `${v}\n` : `${label}:\t${v}\n`);
  if (!all && flags.size === 0) io.out('LSB Version:\tn/a\n');
  return 0;
}

function date(sh: ShellState, args: readonly string[], io: Io): number {
  const d = new Date(sh.now());
  const fmt = args.find((a) => a.startsWith('+'));
  if (fmt) {
    const map: Record<string, string> = {
      s: String(Math.floor(sh.now() / 1000)),
      Y: String(d.getUTCFullYear()),
      m: String(d.getUTCMonth() + 1).padStart(2, '0'),
      d: String(d.getUTCDate()).padStart(2, '0'),
      H: String(d.getUTCHours()).padStart(2, '0'),
      M: String(d.getUTCMinutes()).padStart(2, '0'),
      S: String(d.getUTCSeconds()).padStart(2, '0'),
      '%': '%',
    };
    io.out(fmt.slice(1).replace(/%(.)/g, (m, c: string) => map[c] ?? m) + '\n');
    return 0;
  }
  const [wd, day, mon, yr, time] = d.toUTCString().replace(',', '').split(' ') as [
    string,
    string,
    string,
    string,
    string,
  ];
  // coreutils' C-locale default: `Fri Dec  4 01:57:00 UTC 2026`.
  io.out(`${wd} ${mon} ${day.replace(/^0/, '').padStart(2)} ${time} UTC ${yr}\n`);
  return 0;
}

export const systemCommands: CommandTable = {
  uname,
  id,
  whoami: (sh, _a, io) => (io.out(sh.user.name + '\n'), 0),
  groups: (sh, _a, io) => (
    io.out((sh.user.uid === 0 ? 'root' : `${sh.user.name} adm cdrom sudo dip plugdev`) + '\n'),
    0
  ),
  hostname: (sh, args, io) => (
    io.out(
      (args.includes('-I')
        ? `${sh.facts.ip} `
        : args.includes('-s')
          ? (sh.id.hostname.split('.')[0] ?? '')
          : sh.id.hostname) + '\n',
    ),
    0
  ),
  uptime: (sh, args, io) => (
    io.out(
      (args.includes('-p') ? `up ${Math.floor((sh.now() - sh.facts.bootMs) / 86_400_000)} days` : uptimeLine(sh)) +
        '\n',
    ),
    0
  ),
  w,
  who: (sh, _a, io) => (
    io.out(
      `${sh.user.name.padEnd(8)} pts/0        ${new Date(sh.now()).toISOString().slice(0, 16).replace('T', ' ')} (${loginFrom(sh)})\n`,
    ),
    0
  ),
  users: (sh, _a, io) => (io.out(sh.user.name + '\n'), 0),
  last: (sh, _a, io) => {
    const t = new Date(sh.facts.bootMs).toUTCString().slice(0, 11).replace(',', '');
    io.out(
      `${sh.user.name.padEnd(8)} pts/0        ${loginFrom(sh).padEnd(16)} ${t} 09:14   still logged in\nreboot   system boot  ${sh.id.kernel.padEnd(16)} ${t} 08:02   still running\n\nwtmp begins ${t} 08:02:11 ${new Date(sh.facts.bootMs).getUTCFullYear()}\n`,
    );
    return 0;
  },
  lastlog: (sh, _a, io) => (
    io.out(
      `Username         Port     From             Latest\nroot             pts/0    ${loginFrom(sh).padEnd(16)} ${new Date(sh.now() - 86_400_000).toUTCString()}\n`,
    ),
    0
  ),
  nproc: (sh, _a, io) => (io.out(`${sh.facts.cpus}\n`), 0),
  arch: (_sh, _a, io) => (io.out('x86_64\n'), 0),
  lscpu,
  lsb_release: lsbRelease,
  free,
  df,
  mount: (_sh, args, io) => {
    if (args.length) {
      io.err('mount: only root can do that.\n');
      return 1;
    }
    io.out(
      mounts()
        .map((l) => l.replace(/^(\S+) (\S+) (\S+) (\S+) .*$/, '$1 on $2 type $3 ($4)'))
        .join('\n') + '\n',
    );
    return 0;
  },
  dmesg: (sh, _a, io) => {
    if (sh.user.uid !== 0) {
      io.err('dmesg: read kernel buffer failed: Operation not permitted\n');
      return 1;
    }
    io.out(
      `[    0.000000] Linux version ${sh.id.kernel} ${sh.facts.build}\n[    0.000000] Command line: BOOT_IMAGE=/boot/vmlinuz-${sh.id.kernel} root=UUID=3c1e5e1e-8a44-4c2b-9f7e-0b6d2e7c1a90 ro quiet\n[    0.000000] x86/fpu: Supporting XSAVE feature 0x001: 'x87 floating point registers'\n[    0.004000] Hypervisor detected: KVM\n[    1.212345] EXT4-fs (sda1): mounted filesystem with ordered data mode. Quota mode: none.\n`,
    );
    return 0;
  },
  date,
};

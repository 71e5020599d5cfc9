import { shellLimits } from '../limits';
import { type CommandTable, type Io, type ShellState } from '../types';
import { baseName, fsErrorText } from '../vfs';
import { readable } from './files';

/**
 * The rest of what scripts pipe through or probe: tee, awk and sed (the subsets one-liners use),
 * dd, du, find, yes. Archives and outbound clients are in clients.ts.
 */
function fileText(sh: ShellState, tool: string, f: string, io: Io): string | undefined {
  const node = sh.fs.stat(sh.resolve(f));
  if (!node || node.kind === 'dir' || !readable(sh, node)) {
    io.err(
      `${tool}: ${f}: ${!node ? 'No such file or directory' : node.kind === 'dir' ? 'Is a directory' : 'Permission denied'}\n`,
    );
    return undefined;
  }
  return node.content ?? '';
}

function tee(sh: ShellState, args: readonly string[], io: Io): number {
  const append = args.includes('-a');
  let code = 0;
  for (const f of args.filter((a) => !a.startsWith('-'))) {
    const e = sh.fs.writeFile(sh.resolve(f), io.stdin, { append, uid: sh.user.uid, gid: sh.user.gid });
    if (e) {
      io.err(`tee: ${f}: ${fsErrorText[e]}\n`);
      code = 1;
    }
  }
  io.out(io.stdin);
  return code;
}

/** awk: `-F sep` and `{print $1,$3}` / `{print}` / `/re/ {print $2}` / `NR==1`; enough for recon. */
function awk(sh: ShellState, args: readonly string[], io: Io): number {
  let sep: string | undefined;
  const rest: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '-F') sep = args[++i];
    else if (a.startsWith('-F')) sep = a.slice(2);
    else rest.push(a);
  }
  const [program, ...files] = rest;
  if (program === undefined) {
    io.err('usage: awk [-F fs][-v var=value][prog | -f progfile][file ...]\n');
    return 2;
  }
  const m = /^\s*(?:\/(.*)\/|NR\s*==\s*(\d+))?\s*(?:\{\s*print\s*([^}]*?)\s*;?\s*\})?\s*$/.exec(program);
  if (!m) {
    io.err(`awk: line 1: syntax error at or near ${program.trim()[0] ?? 'end of file'}\n`);
    return 2;
  }
  const [, re, nr, fields] = m;
  let text = files.length ? '' : io.stdin;
  for (const f of files) text += fileText(sh, 'awk', f, io) ?? '';
  let regex: RegExp | undefined;
  try {
    regex = re !== undefined ? new RegExp(re) : undefined;
  } catch {
    regex = /$^/;
  }
  const lines = text === '' ? [] : text.replace(/\n$/, '').split('\n');
  lines.forEach((line, i) => {
    if (regex && !regex.test(line)) return;
    if (nr !== undefined && Number(nr) !== i + 1) return;
    const cols = sep !== undefined && sep !== ' ' ? line.split(sep) : line.trim().split(/\s+/);
    if (fields === undefined || fields === '' || fields === '$0') return io.out(line + '\n');
    const parts = fields.split(/\s*,\s*/).map((f) => {
      const n = /^\$(\d+|NF)$/.exec(f);
      if (n)
        return n[1] === 'NF' ? (cols[cols.length - 1] ?? '') : n[1] === '0' ? line : (cols[Number(n[1]) - 1] ?? '');
      if (f === 'NR') return String(i + 1);
      if (f === 'NF') return String(cols.length);
      return f.replace(/^"(.*)"$/, '$1');
    });
    io.out(parts.join(' ') + '\n');
  });
  return 0;
}

/** sed: `s/a/b/[g]` (any delimiter), `-n '/re/p'`, `Nd`, `-i` writing back into the fake FS. */
function sed(sh: ShellState, args: readonly string[], io: Io): number {
  const inPlace = args.some((a) => a.startsWith('-i'));
  const quiet = args.includes('-n');
  const rest = args.filter((a) => !a.startsWith('-') || a === '-');
  const [script, ...files] = rest;
  if (script === undefined) {
    io.err('Usage: sed [OPTION]... {script-only-if-no-other-script} [input-file]...\n\n');
    return 1;
  }
  const sub = /^s(.)(.*?)\1(.*?)\1([gi]*)$/.exec(script);
  const print = /^\/(.*)\/p$/.exec(script);
  const del = /^(\d+|\$)d$/.exec(script);
  if (!sub && !print && !del) {
    io.err(`sed: -e expression #1, char ${script.length}: unknown command: \`${script[script.length - 1] ?? ''}'\n`);
    return 1;
  }
  const apply = (text: string) => {
    const lines = text === '' ? [] : text.replace(/\n$/, '').split('\n');
    let out: string[] = lines;
    try {
      // Compiled once per call: a per-line RegExp made sed on a 4 MiB file take a second.
      if (sub) {
        const re = new RegExp(sub[2]!, sub[4]!.includes('g') ? 'g' : '');
        const by = sub[3]!.replace(/\\\//g, '/');
        out = lines.map((l) => l.replace(re, by));
      }
      if (print) {
        const re = new RegExp(print[1]!);
        out = quiet ? lines.filter((l) => re.test(l)) : lines.flatMap((l) => (re.test(l) ? [l, l] : [l]));
      }
    } catch {
      out = lines;
    }
    if (del) out = lines.filter((_, i) => (del[1] === '$' ? i !== lines.length - 1 : i + 1 !== Number(del[1])));
    return out.map((l) => l + '\n').join('');
  };
  if (!files.length) {
    io.out(apply(io.stdin));
    return 0;
  }
  let code = 0;
  for (const f of files) {
    const text = fileText(sh, 'sed', f, io);
    if (text === undefined) {
      code = 2;
      continue;
    }
    if (inPlace) sh.fs.writeFile(sh.resolve(f), apply(text), { uid: sh.user.uid, gid: sh.user.gid });
    else io.out(apply(text));
  }
  return code;
}

/** dd if=… of=… bs=… count=…: copies within the fake FS and prints dd's three status lines. */
function dd(sh: ShellState, args: readonly string[], io: Io): number {
  const opt = Object.fromEntries(args.map((a) => a.split('=', 2) as [string, string]));
  const src = opt.if;
  let data = io.stdin;
  if (src && src !== '/dev/zero' && src !== '/dev/urandom') {
    const t = fileText(sh, 'dd', src, io);
    if (t === undefined) return 1;
    data = t;
  }
  const bs =
    Number(/^\d+/.exec(opt.bs ?? '512')?.[0] ?? 512) *
    ({ k: 1024, K: 1024, M: 1048576 }[(opt.bs ?? '').slice(-1)] ?? 1);
  const count = opt.count !== undefined ? Number(opt.count) : undefined;
  if (src === '/dev/zero' || src === '/dev/urandom')
    data = '\0'.repeat(Math.min(shellLimits.maxOutputBytes, bs * (count ?? 1)));
  if (count !== undefined) data = data.slice(0, bs * count);
  if (opt.of) {
    const e = sh.fs.writeFile(sh.resolve(opt.of), data, { uid: sh.user.uid, gid: sh.user.gid });
    if (e) {
      io.err(`dd: failed to open '${opt.of}': ${fsErrorText[e]}\n`);
      return 1;
    }
  } else io.out(data);
  const blocks = Math.ceil(data.length / bs);
  io.err(
    `${blocks}+0 records in\n${blocks}+0 records out\n${data.length} bytes copied, 0.000158 s, ${(data.length / 158).toFixed(1)} MB/s\n`,
  );
  return 0;
}

function du(sh: ShellState, args: readonly string[], io: Io): number {
  const targets = args.filter((a) => !a.startsWith('-'));
  for (const t of targets.length ? targets : ['.']) {
    const path = sh.resolve(t);
    if (!sh.fs.stat(path)) {
      io.err(`du: cannot access '${t}': No such file or directory\n`);
      return 1;
    }
    let kb = 0;
    const walk = (p: string, depth: number) => {
      const n = sh.fs.stat(p);
      if (!n || depth > 8) return;
      kb += Math.ceil((n.kind === 'dir' ? 4096 : (n.content?.length ?? n.size ?? 0)) / 4096) * 4;
      if (n.kind === 'dir') for (const k of sh.fs.list(p).slice(0, 200)) walk(`${p === '/' ? '' : p}/${k}`, depth + 1);
    };
    walk(path, 0);
    io.out(
      `${args.some((a) => /^-[a-z]*h/.test(a)) ? `${kb >= 1024 ? `${(kb / 1024).toFixed(1)}M` : `${kb}K`}` : kb}\t${t}\n`,
    );
  }
  return 0;
}

function find(sh: ShellState, args: readonly string[], io: Io): number {
  const start = args[0] && !args[0].startsWith('-') ? args[0] : '.';
  const name = args[args.indexOf('-name') + 1];
  const type = args.includes('-type') ? args[args.indexOf('-type') + 1] : undefined;
  const re =
    name && args.includes('-name')
      ? new RegExp(
          `^${name
            .replace(/[.+^${}()|\\]/g, '\\$&')
            .replace(/\*/g, '.*')
            .replace(/\?/g, '.')}$`,
        )
      : undefined;
  const root = sh.resolve(start);
  if (!sh.fs.stat(root)) {
    io.err(`find: ‘${start}’: No such file or directory\n`);
    return 1;
  }
  let emitted = 0;
  const walk = (p: string, shown: string, depth: number) => {
    const n = sh.fs.stat(p);
    if (!n || depth > 12 || emitted > 2_000) return;
    if ((!re || re.test(baseName(p))) && (!type || (type === 'd') === (n.kind === 'dir'))) {
      io.out(shown + '\n');
      emitted++;
    }
    if (n.kind === 'dir' && !p.startsWith('/proc'))
      for (const k of sh.fs.list(p))
        walk(`${p === '/' ? '' : p}/${k}`, `${shown === '/' ? '' : shown}/${k}`, depth + 1);
  };
  walk(root, start, 0);
  return 0;
}

export const extraCommands: CommandTable = {
  tee,
  awk,
  sed,
  dd,
  du,
  find,
  yes: (_sh, args, io) => {
    // Endless in real life; here as much as one line's output bound holds (head cuts it anyway).
    const line = (args.length ? args.join(' ') : 'y') + '\n';
    io.out(line.repeat(Math.max(1, Math.floor(shellLimits.maxOutputBytes / line.length))));
    return 0;
  },
  reset: (_sh, _a, io) => (io.out('\x1bc'), 0),
  poweroff: (sh, a, io) =>
    sh.user.uid === 0
      ? ((sh.exited = true), 0)
      : (io.err('Call to PowerOff failed: Interactive authentication required.\n'), 1),
  halt: (sh, a, io) =>
    sh.user.uid === 0
      ? ((sh.exited = true), 0)
      : (io.err('Call to Halt failed: Interactive authentication required.\n'), 1),
  lspci: (_sh, _a, io) => (
    io.out(
      '00:00.0 Host bridge: Intel Corporation 440FX - 82441FX PMC [Natoma] (rev 02)\n00:01.0 ISA bridge: Intel Corporation 82371SB PIIX3 ISA [Natoma/Triton II]\n00:02.0 VGA compatible controller: Cirrus Logic GD 5446\n00:03.0 Ethernet controller: Red Hat, Inc. Virtio network device\n00:04.0 SCSI storage controller: Red Hat, Inc. Virtio block device\n',
    ),
    0
  ),
  hostnamectl: (sh, _a, io) => (
    io.out(
      ` Static hostname: ${sh.id.hostname}\n       Icon name: computer-vm\n         Chassis: vm 🖴\n  Virtualization: kvm\nOperating System: ${/PRETTY_NAME="([^"]*)"/.exec(sh.fs.stat('/etc/os-release')?.content ?? '')?.[1] ?? 'Linux'}\n          Kernel: Linux ${sh.id.kernel}\n    Architecture: x86-64\n`,
    ),
    0
  ),
  adduser: (sh, args, io) => {
    const name = args.filter((a) => !a.startsWith('-')).pop();
    if (sh.user.uid !== 0) return (io.err('adduser: Only root may add a user or group to the system.\n'), 1);
    if (!name) return (io.err('adduser: Only one or two names allowed.\n'), 1);
    if (sh.users.some((u) => u.name === name)) return (io.err(`adduser: The user \`${name}' already exists.\n`), 1);
    io.out(
      `Adding user \`${name}' ...\nAdding new group \`${name}' (1001) ...\nAdding new user \`${name}' (1001) with group \`${name}' ...\nCreating home directory \`/home/${name}' ...\nCopying files from \`/etc/skel' ...\n`,
    );
    sh.fs.mkdir(`/home/${name}`, 1001, 1001);
    return 0;
  },
};

import { createHash } from 'node:crypto';
import { type CommandTable, type Io, type ShellState, usage } from '../types';
import { readable } from './files';

/** Text filters over stdin or files from the fake filesystem: head, tail, grep, wc, sort… */
type Source = { name: string; text: string };

/** Reads operands (or stdin when none); missing files are reported as `tool: f: …`. */
function inputs(sh: ShellState, tool: string, files: readonly string[], io: Io): { sources: Source[]; code: number } {
  if (!files.length) return { sources: [{ name: '-', text: io.stdin }], code: 0 };
  const sources: Source[] = [];
  let code = 0;
  for (const f of files) {
    if (f === '-') {
      sources.push({ name: '-', text: io.stdin });
      continue;
    }
    const node = sh.fs.stat(sh.resolve(f));
    if (!node) {
      io.err(
        `${tool}: ${tool === 'head' || tool === 'tail' ? `cannot open '${f}' for reading` : f}: No such file or directory\n`,
      );
      code = tool === 'grep' ? 2 : 1;
    } else if (node.kind === 'dir') {
      io.err(
        tool === 'grep'
          ? `grep: ${f}: Is a directory\n`
          : `${tool}: ${tool === 'head' || tool === 'tail' ? `error reading '${f}'` : f}: Is a directory\n`,
      );
      code = tool === 'grep' ? 2 : 1;
    } else if (!readable(sh, node)) {
      io.err(`${tool}: ${f}: Permission denied\n`);
      code = tool === 'grep' ? 2 : 1;
    } else sources.push({ name: f, text: node.content ?? '' });
  }
  return { sources, code };
}

const lines = (text: string) => (text === '' ? [] : text.replace(/\n$/, '').split('\n'));

function headTail(tool: 'head' | 'tail') {
  return (sh: ShellState, args: readonly string[], io: Io): number => {
    let n = 10;
    const files: string[] = [];
    for (let i = 0; i < args.length; i++) {
      const a = args[i]!;
      if (a === '-n' || a === '-c') {
        if (args[i + 1] === undefined) return usage(io, tool, `option requires an argument -- '${a[1]}'`);
        n = Math.abs(Number(args[++i]));
      } else if (/^-n?\d+$/.test(a)) n = Number(a.replace(/^-n?/, ''));
      else if (a === '-f' || a === '-q' || a === '-v') continue;
      else files.push(a);
    }
    if (Number.isNaN(n)) return usage(io, tool, 'invalid number of lines');
    const { sources, code } = inputs(sh, tool, files, io);
    sources.forEach((s, i) => {
      if (sources.length > 1) io.out(`${i ? '\n' : ''}==> ${s.name} <==\n`);
      const ls = lines(s.text);
      const pick = tool === 'head' ? ls.slice(0, n) : n === 0 ? [] : ls.slice(-n);
      io.out(pick.map((l) => l + '\n').join(''));
    });
    return code;
  };
}

function grep(sh: ShellState, args: readonly string[], io: Io): number {
  let pattern: string | undefined;
  const files: string[] = [];
  const flags = new Set<string>();
  let max = Infinity;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const numeric = /^-([mABC])(\d*)$/.exec(a);
    if (numeric) {
      const n = Number(numeric[2] || args[++i]);
      if (numeric[1] === 'm') max = Number.isNaN(n) ? Infinity : n;
    } else if (a === '-e') pattern = args[++i];
    else if (/^-[a-zA-Z]+$/.test(a)) for (const c of a.slice(1)) flags.add(c);
    else if (a.startsWith('--')) continue;
    else if (pattern === undefined) pattern = a;
    else files.push(a);
  }
  if (pattern === undefined) {
    io.err("Usage: grep [OPTION]... PATTERNS [FILE]...\nTry 'grep --help' for more information.\n");
    return 2;
  }
  let re: RegExp;
  try {
    const src = flags.has('F')
      ? pattern.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
      : flags.has('E')
        ? pattern
        : basicToJs(pattern);
    re = new RegExp(flags.has('w') ? `\\b(?:${src})\\b` : src, flags.has('i') ? 'i' : '');
  } catch {
    io.err('grep: Unmatched ( or \\(\n');
    return 2;
  }
  const { sources, code } = inputs(sh, 'grep', files, io);
  let found = false;
  for (const s of sources) {
    let count = 0;
    lines(s.text).forEach((l, i) => {
      if (count >= max || re.test(l) === flags.has('v')) return;
      found = true;
      count++;
      if (flags.has('c') || flags.has('l') || flags.has('q')) return;
      const prefix = (sources.length > 1 && !flags.has('h') ? `${s.name}:` : '') + (flags.has('n') ? `${i + 1}:` : '');
      io.out(prefix + (flags.has('o') ? (re.exec(l)?.[0] ?? '') : l) + '\n');
    });
    if (flags.has('c')) io.out((sources.length > 1 ? `${s.name}:` : '') + `${count}\n`);
    if (flags.has('l') && count) io.out(`${s.name === '-' ? '(standard input)' : s.name}\n`);
  }
  return code === 2 && !flags.has('s') ? 2 : found ? 0 : 1;
}

/** POSIX basic regex to JS: `\(`, `\|`, `\+` are the operators, bare `( | +` are literals. */
function basicToJs(p: string): string {
  return p.replace(/\\([(){}|+?])|([(){}|+?])/g, (_m, esc: string | undefined, bare: string | undefined) =>
    esc ? esc : `\\${bare}`,
  );
}

function wc(sh: ShellState, args: readonly string[], io: Io): number {
  const flags = new Set(args.filter((a) => /^-[lwcm]+$/.test(a)).flatMap((a) => [...a.slice(1)]));
  const files = args.filter((a) => !a.startsWith('-'));
  const { sources, code } = inputs(sh, 'wc', files, io);
  const show = flags.size ? flags : new Set(['l', 'w', 'c']);
  const rows = sources.map((s) => ({
    name: s.name === '-' ? '' : s.name,
    l: (s.text.match(/\n/g) ?? []).length,
    w: s.text.split(/\s+/).filter(Boolean).length,
    c: Buffer.byteLength(s.text),
  }));
  if (rows.length > 1)
    rows.push(
      rows.reduce((t, r) => ({ name: 'total', l: t.l + r.l, w: t.w + r.w, c: t.c + r.c }), {
        name: 'total',
        l: 0,
        w: 0,
        c: 0,
      }),
    );
  // wc pads to the widest count, except a single count from stdin which prints bare.
  const width = files.length === 0 && show.size === 1 ? 0 : Math.max(1, ...rows.map((r) => String(r.c).length));
  for (const r of rows) {
    const cols = (['l', 'w', 'c'] as const)
      .filter((k) => show.has(k) || (k === 'c' && show.has('m')))
      .map((k) => String(r[k]).padStart(width));
    io.out(cols.join(' ') + (r.name ? ` ${r.name}` : '') + '\n');
  }
  return code;
}

function simpleFilter(tool: string, fn: (ls: string[], args: readonly string[]) => string[]) {
  return (sh: ShellState, args: readonly string[], io: Io): number => {
    const { sources, code } = inputs(
      sh,
      tool,
      args.filter((a) => !a.startsWith('-') || a === '-'),
      io,
    );
    const out = fn(
      sources.flatMap((s) => lines(s.text)),
      args,
    );
    io.out(out.map((l) => l + '\n').join(''));
    return code;
  };
}

function cut(sh: ShellState, args: readonly string[], io: Io): number {
  let delim = '\t';
  let fields = '';
  const files: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a.startsWith('-d')) delim = a.length > 2 ? a.slice(2) : (args[++i] ?? '\t');
    else if (a.startsWith('-f') || a.startsWith('-c')) fields = a.length > 2 ? a.slice(2) : (args[++i] ?? '');
    else files.push(a);
  }
  if (!fields) return usage(io, 'cut', 'you must specify a list of bytes, characters, or fields');
  const want = (n: number) =>
    fields.split(',').some((r) => {
      const [a, b] = r.split('-');
      const lo = a ? Number(a) : 1;
      const hi = r.includes('-') ? (b ? Number(b) : Infinity) : lo;
      return n >= lo && n <= hi;
    });
  const { sources, code } = inputs(sh, 'cut', files, io);
  const charMode = args.some((a) => a.startsWith('-c'));
  for (const l of sources.flatMap((s) => lines(s.text))) {
    const parts = charMode ? [...l] : l.split(delim[0]!);
    io.out(
      (charMode
        ? parts.filter((_, i) => want(i + 1)).join('')
        : parts.length === 1
          ? l
          : parts.filter((_, i) => want(i + 1)).join(delim[0])) + '\n',
    );
  }
  return code;
}

function digest(algo: 'md5' | 'sha1' | 'sha256') {
  return (sh: ShellState, args: readonly string[], io: Io): number => {
    const { sources, code } = inputs(
      sh,
      `${algo}sum`,
      args.filter((a) => !a.startsWith('-')),
      io,
    );
    for (const s of sources) io.out(`${createHash(algo).update(s.text, 'latin1').digest('hex')}  ${s.name}\n`);
    return code;
  };
}

export const textCommands: CommandTable = {
  head: headTail('head'),
  tail: headTail('tail'),
  grep,
  egrep: (sh, args, io) => grep(sh, ['-E', ...args], io),
  wc,
  sort: simpleFilter('sort', (ls, args) => {
    const sorted = args.includes('-n') ? [...ls].sort((a, b) => parseFloat(a) - parseFloat(b)) : [...ls].sort();
    const out = args.includes('-u') ? [...new Set(sorted)] : sorted;
    return args.includes('-r') ? out.reverse() : out;
  }),
  uniq: simpleFilter('uniq', (ls) => ls.filter((l, i) => i === 0 || ls[i - 1] !== l)),
  cut,
  tr: (_sh, args, io) => {
    const [a = '', b = ''] = args.filter((x) => !x.startsWith('-'));
    const del = args.includes('-d');
    const expand = (s: string) =>
      s
        .replace(/(.)-(.)/g, (_m, x: string, y: string) =>
          Array.from({ length: Math.max(0, y.charCodeAt(0) - x.charCodeAt(0) + 1) }, (_, i) =>
            String.fromCharCode(x.charCodeAt(0) + i),
          ).join(''),
        )
        .slice(0, 512);
    const from = expand(a);
    const to = expand(b);
    io.out(
      [...io.stdin]
        .map((c) => (from.includes(c) ? (del ? '' : (to[Math.min(from.indexOf(c), to.length - 1)] ?? c)) : c))
        .join(''),
    );
    return 0;
  },
  base64: (sh, args, io) => {
    const { sources, code } = inputs(
      sh,
      'base64',
      args.filter((a) => !a.startsWith('-')),
      io,
    );
    const text = sources.map((s) => s.text).join('');
    if (args.includes('-d') || args.includes('--decode')) io.out(Buffer.from(text, 'base64').toString('latin1'));
    else
      io.out(
        (
          Buffer.from(text, 'latin1')
            .toString('base64')
            .match(/.{1,76}/g) ?? ['']
        ).join('\n') + '\n',
      );
    return code;
  },
  md5sum: digest('md5'),
  sha1sum: digest('sha1'),
  sha256sum: digest('sha256'),
};

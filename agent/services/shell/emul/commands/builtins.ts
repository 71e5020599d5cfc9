import { varValue } from '../expand';
import { type CommandTable, type Io, type ShellState } from '../types';

/** Shell builtins: what bash itself answers (cd, echo, export, history, type, exit…). */
function cd(sh: ShellState, args: readonly string[], io: Io): number {
  const target =
    args[0] === undefined || args[0] === '~'
      ? sh.user.home
      : args[0] === '-'
        ? (sh.env.get('OLDPWD') ?? sh.cwd)
        : args[0];
  if (args.length > 1) {
    io.err(`${sh.builtinPrefix()}cd: too many arguments\n`);
    return 1;
  }
  const path = sh.resolve(target);
  const node = sh.fs.stat(path);
  if (!node || node.kind !== 'dir') {
    io.err(`${sh.builtinPrefix()}cd: ${target}: ${node ? 'Not a directory' : 'No such file or directory'}\n`);
    return 1;
  }
  if (sh.user.uid !== 0 && node.uid !== sh.user.uid && (node.mode & 0o001) === 0) {
    io.err(`${sh.builtinPrefix()}cd: ${target}: Permission denied\n`);
    return 1;
  }
  sh.env.set('OLDPWD', sh.cwd);
  sh.cwd = path;
  sh.env.set('PWD', path);
  if (args[0] === '-') io.out(path + '\n');
  return 0;
}

/** echo with bash's -n/-e/-E (only leading, only those letters). */
function echo(_sh: ShellState, args: readonly string[], io: Io): number {
  let newline = true;
  let escapes = false;
  let i = 0;
  for (; i < args.length && /^-[neE]+$/.test(args[i]!); i++) {
    for (const c of args[i]!.slice(1)) {
      if (c === 'n') newline = false;
      else escapes = c === 'e';
    }
  }
  let text = args.slice(i).join(' ');
  if (escapes) {
    const cut = text.indexOf('\\c');
    if (cut >= 0) {
      text = text.slice(0, cut);
      newline = false;
    }
    text = unescape(text);
  }
  io.out(text + (newline ? '\n' : ''));
  return 0;
}

function unescape(s: string): string {
  return s.replace(/\\(x[0-9a-fA-F]{1,2}|0[0-7]{0,3}|[0-7]{1,3}|[abefnrtv\\])/g, (_m, e: string) => {
    if (e[0] === 'x') return String.fromCharCode(parseInt(e.slice(1), 16));
    if (/^[0-7]/.test(e)) return String.fromCharCode(parseInt(e, 8) & 0xff);
    return (
      (
        { a: '\x07', b: '\b', e: '\x1b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v', '\\': '\\' } as Record<
          string,
          string
        >
      )[e] ?? e
    );
  });
}

/** printf: %s %d %i %x %o %c %b %% with widths, the format reused until arguments run out. */
function printf(sh: ShellState, args: readonly string[], io: Io): number {
  if (!args.length) {
    io.err('printf: usage: printf [-v var] format [arguments]\n');
    return 2;
  }
  const [format, ...rest] = args as [string, ...string[]];
  let out = '';
  let k = 0;
  let code = 0;
  do {
    const before = k;
    out += format.replace(
      /%([-+ 0#]*)(\d*)(?:\.(\d+))?([sdixXocbu%])|\\(x[0-9a-fA-F]{1,2}|[0-7]{1,3}|[abefnrtv\\"])/g,
      (m, fl: string, w: string, prec: string, conv: string, esc: string) => {
        if (esc !== undefined) return unescape(m);
        if (conv === '%') return '%';
        const arg = rest[k++] ?? '';
        let v: string;
        if ('dixXou'.includes(conv)) {
          const n = arg === '' ? 0 : Number(arg.startsWith("'") ? arg.charCodeAt(1) : arg);
          if (Number.isNaN(n)) {
            io.err(`${sh.builtinPrefix()}printf: ${arg}: invalid number\n`);
            code = 1;
          }
          const int = Math.trunc(Number.isNaN(n) ? 0 : n);
          v =
            conv === 'x'
              ? int.toString(16)
              : conv === 'X'
                ? int.toString(16).toUpperCase()
                : conv === 'o'
                  ? int.toString(8)
                  : String(int);
        } else if (conv === 'c') v = arg.slice(0, 1);
        else if (conv === 'b') v = unescape(arg);
        else v = prec !== undefined ? arg.slice(0, Number(prec)) : arg;
        const width = Number(w || 0);
        return fl.includes('-')
          ? v.padEnd(width)
          : v.padStart(width, fl.includes('0') && 'dixXou'.includes(conv) ? '0' : ' ');
      },
    );
    if (k === before) break;
  } while (k < rest.length);
  io.out(out);
  return code;
}

function exportCmd(sh: ShellState, args: readonly string[], io: Io): number {
  const names = args.filter((a) => a !== '-n' && a !== '-p');
  if (!names.length) {
    for (const [k, v] of [...sh.env].sort(([a], [b]) => (a < b ? -1 : 1))) io.out(`declare -x ${k}="${v}"\n`);
    return 0;
  }
  let code = 0;
  for (const a of names) {
    const eq = a.indexOf('=');
    const name = eq >= 0 ? a.slice(0, eq) : a;
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
      io.err(`${sh.builtinPrefix()}export: \`${a}': not a valid identifier\n`);
      code = 1;
    } else if (eq >= 0) sh.env.set(name, a.slice(eq + 1));
    else if (!sh.env.has(name)) sh.env.set(name, '');
  }
  return code;
}

function env(sh: ShellState, args: readonly string[], io: Io): number {
  if (args.length && !args[0]!.startsWith('-') && !args[0]!.includes('='))
    return sh.runNested(args.map(quoteWord).join(' '), io);
  for (const [k, v] of sh.env) io.out(`${k}=${v}\n`);
  return 0;
}

export function quoteWord(s: string): string {
  return /^[A-Za-z0-9_./:=@%+,-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

function history(sh: ShellState, args: readonly string[], io: Io): number {
  if (args[0] === '-c') {
    sh.history.length = 0;
    return 0;
  }
  const n = args[0] !== undefined && /^\d+$/.test(args[0]) ? Number(args[0]) : sh.history.length;
  const start = Math.max(0, sh.history.length - n);
  sh.history.slice(start).forEach((line, i) => io.out(`${String(start + i + 1).padStart(5)}  ${line}\n`));
  return 0;
}

const builtinNames = new Set([
  'cd',
  'echo',
  'printf',
  'export',
  'unset',
  'history',
  'exit',
  'logout',
  'type',
  'pwd',
  'true',
  'false',
  'kill',
  'alias',
  'source',
  '.',
  'set',
  ':',
  'read',
  'ulimit',
  'umask',
  'wait',
  'jobs',
  'command',
  'hash',
]);
const keywords = new Set(['if', 'then', 'for', 'while', 'do', 'done', 'fi', 'case', 'esac']);

function which(sh: ShellState, args: readonly string[], io: Io): number {
  let code = 0;
  for (const a of args.filter((x) => !x.startsWith('-'))) {
    const where = binPath(sh, a);
    if (where) io.out(where + '\n');
    else code = 1;
  }
  return code;
}

export function binPath(sh: ShellState, name: string): string | undefined {
  for (const dir of (sh.env.get('PATH') ?? '').split(':')) {
    const n = sh.fs.stat(`${dir}/${name}`);
    if (n?.kind === 'file' && n.mode & 0o111) return `${dir}/${name}`;
  }
  return undefined;
}

function type(sh: ShellState, args: readonly string[], io: Io): number {
  let code = 0;
  for (const a of args.filter((x) => !x.startsWith('-'))) {
    if (keywords.has(a)) io.out(`${a} is a shell keyword\n`);
    else if (builtinNames.has(a)) io.out(`${a} is a shell builtin\n`);
    else if (a === 'ls' || a === 'grep') io.out(`${a} is aliased to \`${a} --color=auto'\n`);
    else {
      const where = binPath(sh, a);
      if (where) io.out(`${a} is ${where}\n`);
      else {
        io.err(`${sh.builtinPrefix()}type: ${a}: not found\n`);
        code = 1;
      }
    }
  }
  return code;
}

function exit(sh: ShellState, args: readonly string[], io: Io): number {
  sh.exited = true;
  const n = args[0] === undefined ? sh.lastCode : Number(args[0]);
  if (Number.isNaN(n)) {
    io.err(`${sh.builtinPrefix()}exit: ${args[0]}: numeric argument required\n`);
    return 2;
  }
  return n & 0xff;
}

export const builtinCommands: CommandTable = {
  cd,
  pwd: (sh, _a, io) => (io.out(sh.cwd + '\n'), 0),
  echo,
  printf,
  export: exportCmd,
  unset: (sh, args) => (args.forEach((a) => sh.env.delete(a)), 0),
  env,
  printenv: (sh, args, io) => {
    if (!args.length) return env(sh, [], io);
    const v = varValue(sh, args[0]!);
    if (!sh.env.has(args[0]!)) return 1;
    io.out(v + '\n');
    return 0;
  },
  set: (sh, args, io) => (args.length ? 0 : env(sh, [], io)),
  history,
  exit,
  logout: exit,
  true: () => 0,
  false: () => 1,
  ':': () => 0,
  which,
  type,
  command: (sh, args, io) =>
    args[0] === '-v' ? which(sh, args.slice(1), io) : args.length ? sh.runNested(args.map(quoteWord).join(' '), io) : 0,
  clear: (_sh, _a, io) => (io.out('\x1b[H\x1b[2J\x1b[3J'), 0),
  alias: (_sh, args, io) =>
    args.length
      ? 0
      : (io.out("alias l='ls -CF'\nalias la='ls -A'\nalias ll='ls -alF'\nalias ls='ls --color=auto'\n"), 0),
  unalias: () => 0,
  umask: (_sh, args, io) => (args.length ? 0 : (io.out('0022\n'), 0)),
  ulimit: (_sh, args, io) =>
    args.length && args[0] !== '-n' ? 0 : (io.out(args[0] === '-n' ? '1024\n' : 'unlimited\n'), 0),
  // sleep: returns at once; a session never holds a timer for an attacker (the recorded line shows it).
  sleep: (sh, args, io) => {
    if (!args.length) {
      io.err("sleep: missing operand\nTry 'sleep --help' for more information.\n");
      return 1;
    }
    const bad = args.find((a) => !/^\d+(\.\d+)?[smhd]?$/.test(a));
    if (bad) {
      io.err(`sleep: invalid time interval ‘${bad}’\nTry 'sleep --help' for more information.\n`);
      return 1;
    }
    return 0;
  },
  source: (sh, args, io) => runFile(sh, args, io, 'source'),
  '.': (sh, args, io) => runFile(sh, args, io, '.'),
  read: () => 1,
  wait: () => 0,
  jobs: () => 0,
  hash: () => 0,
  nohup: (sh, args, io) =>
    args.length
      ? sh.runNested(args.map(quoteWord).join(' '), io)
      : (io.err("nohup: missing operand\nTry 'nohup --help' for more information.\n"), 125),
};

function runFile(sh: ShellState, args: readonly string[], io: Io, name: string): number {
  if (!args[0]) {
    io.err(`${sh.errPrefix()}${name}: filename argument required\n`);
    return 2;
  }
  const node = sh.fs.stat(sh.resolve(args[0]));
  if (!node || node.kind === 'dir') {
    io.err(`${sh.errPrefix()}${args[0]}: ${node ? 'is a directory' : 'No such file or directory'}\n`);
    return 1;
  }
  return node.content ? sh.runNested(node.content, io) : 0;
}

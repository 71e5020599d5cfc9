import { type CommandTable, type Io, type ShellState } from '../types';

/**
 * `test` / `[`: the file and string checks scripts guard their steps with
 * (`[ -f /bin/busybox ] && …`, `[ "$(id -u)" = 0 ]`). Three-valued like bash: 0, 1, or 2 on a
 * malformed expression.
 */
function evaluate(sh: ShellState, e: readonly string[], io: Io, name: string): number {
  if (e.length === 0) return 1;
  if (e[0] === '!') return evaluate(sh, e.slice(1), io, name) === 0 ? 1 : e.length > 1 ? 0 : 1;
  const and = e.indexOf('-a');
  if (and > 0) return evaluate(sh, e.slice(0, and), io, name) || evaluate(sh, e.slice(and + 1), io, name);
  const or = e.indexOf('-o');
  if (or > 0)
    return evaluate(sh, e.slice(0, or), io, name) === 0 || evaluate(sh, e.slice(or + 1), io, name) === 0 ? 0 : 1;
  if (e.length === 1) return e[0] === '' ? 1 : 0;
  if (e.length === 2) {
    const [op, arg] = e as [string, string];
    if (op === '-z') return arg === '' ? 0 : 1;
    if (op === '-n') return arg !== '' ? 0 : 1;
    const node = sh.fs.stat(sh.resolve(arg));
    const checks: Record<string, () => boolean> = {
      '-e': () => !!node,
      '-f': () => node?.kind === 'file',
      '-d': () => node?.kind === 'dir',
      '-s': () => !!node && (node.kind === 'dir' || (node.content?.length ?? node.size ?? 0) > 0),
      '-x': () => !!node && (node.mode & 0o111) !== 0,
      '-r': () => !!node && (sh.user.uid === 0 || (node.mode & 0o444) !== 0),
      '-w': () => !!node && (sh.user.uid === 0 || node.uid === sh.user.uid),
      '-L': () => false,
      '-h': () => false,
    };
    const check = checks[op];
    if (!check) {
      io.err(`${sh.builtinPrefix()}${name}: ${op}: unary operator expected\n`);
      return 2;
    }
    return check() ? 0 : 1;
  }
  if (e.length === 3) {
    const [a, op, b] = e as [string, string, string];
    if (op === '=' || op === '==') return a === b ? 0 : 1;
    if (op === '!=') return a !== b ? 0 : 1;
    const ints: Record<string, (x: number, y: number) => boolean> = {
      '-eq': (x, y) => x === y,
      '-ne': (x, y) => x !== y,
      '-gt': (x, y) => x > y,
      '-ge': (x, y) => x >= y,
      '-lt': (x, y) => x < y,
      '-le': (x, y) => x <= y,
    };
    const cmp = ints[op];
    if (!cmp) {
      io.err(`${sh.builtinPrefix()}${name}: ${op}: binary operator expected\n`);
      return 2;
    }
    const bad = [a, b].find((v) => !/^\s*-?\d+\s*$/.test(v));
    if (bad !== undefined) {
      io.err(`${sh.builtinPrefix()}${name}: ${bad}: integer expression expected\n`);
      return 2;
    }
    return cmp(Number(a), Number(b)) ? 0 : 1;
  }
  io.err(`${sh.builtinPrefix()}${name}: too many arguments\n`);
  return 2;
}

export const testCommands: CommandTable = {
  test: (sh, args, io) => evaluate(sh, args, io, 'test'),
  '[': (sh, args, io) => {
    if (args[args.length - 1] !== ']') {
      io.err(`${sh.builtinPrefix()}[: missing \`]'\n`);
      return 2;
    }
    return evaluate(sh, args.slice(0, -1), io, '[');
  },
  seq: (_sh, args, io) => {
    const n = args.map(Number);
    if (!args.length || n.some((x) => Number.isNaN(x))) {
      io.err(
        args.length
          ? `seq: invalid floating point argument: ‘${args.find((a) => Number.isNaN(Number(a)))}’\nTry 'seq --help' for more information.\n`
          : "seq: missing operand\nTry 'seq --help' for more information.\n",
      );
      return 1;
    }
    const [first, step, last] =
      n.length === 1 ? [1, 1, n[0]!] : n.length === 2 ? [n[0]!, 1, n[1]!] : [n[0]!, n[1]!, n[2]!];
    const out: string[] = [];
    for (let v = first; step > 0 ? v <= last : v >= last; v += step) {
      out.push(String(v));
      if (out.length >= 10_000 || step === 0) break;
    }
    io.out(out.length ? out.join('\n') + '\n' : '');
    return 0;
  },
};

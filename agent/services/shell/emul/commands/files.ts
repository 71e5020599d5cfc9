import { type CommandTable, type Io, type ShellState, splitFlags, usage } from '../types';
import { baseName, fsErrorText, type FsError, type FsNode } from '../vfs';
import { blocks, columns, longListing } from './ls-format';

/** File commands (coreutils wording): ls, cat, cd/pwd live with the builtins. */
const q = (s: string) => `'${s}'`;
const fail = (io: Io, text: string) => {
  io.err(text + '\n');
  return 1;
};
const errText = (e: FsError) => fsErrorText[e];

function ls(sh: ShellState, args: readonly string[], io: Io): number {
  const { flags, long: longOpts, operands } = splitFlags(args);
  for (const f of flags) if (!'lahrtRd1ACFSsi'.includes(f)) return usage(io, 'ls', `invalid option -- '${f}'`);
  const all = flags.has('a');
  const almost = flags.has('A');
  const long = flags.has('l');
  const human = flags.has('h');
  const oneLine = flags.has('1') || long || io.tty !== true;
  const targets = operands.length ? operands : ['.'];
  let code = 0;
  const files: (readonly [string, FsNode, string])[] = [];
  const dirs: [string, string][] = [];
  for (const t of targets) {
    const path = sh.resolve(t);
    const node = sh.fs.stat(path);
    if (!node) {
      io.err(`ls: cannot access ${q(t)}: No such file or directory\n`);
      code = 2;
    } else if (node.kind === 'dir' && !flags.has('d')) dirs.push([t, path]);
    else files.push([t, node, path]);
  }
  const render = (entries: (readonly [string, FsNode, string])[]) => {
    if (flags.has('t')) entries.sort((a, b) => b[1].mtime - a[1].mtime);
    if (flags.has('r')) entries.reverse();
    if (long) return longListing(sh, entries, human).join('\n') + (entries.length ? '\n' : '');
    const names = entries.map(([n, node]) => (flags.has('F') && node.kind === 'dir' ? `${n}/` : n));
    return oneLine ? names.map((n) => n + '\n').join('') : columns(names);
  };
  if (files.length) io.out(render(files));
  dirs.forEach(([t, path], i) => {
    if (
      path !== '/' &&
      sh.user.uid !== 0 &&
      sh.fs.stat(path)!.uid !== sh.user.uid &&
      (sh.fs.stat(path)!.mode & 0o005) === 0
    ) {
      io.err(`ls: cannot open directory ${q(t)}: Permission denied\n`);
      code = 2;
      return;
    }
    if (targets.length > 1 || flags.has('R')) io.out(`${i > 0 || files.length ? '\n' : ''}${t}:\n`);
    const prefix = path === '/' ? '/' : `${path}/`;
    const names = sh.fs.list(path).filter((n) => all || almost || !n.startsWith('.'));
    const entries: (readonly [string, FsNode, string])[] = names.map(
      (n) => [n, sh.fs.stat(prefix + n)!, prefix + n] as const,
    );
    if (all) {
      const parent = path === '/' ? '/' : path.slice(0, path.lastIndexOf('/')) || '/';
      entries.unshift(['.', sh.fs.stat(path)!, path], ['..', sh.fs.stat(parent)!, parent]);
    }
    if (long) io.out(`total ${entries.reduce((s, e) => s + blocks(e[1]), 0)}\n`);
    io.out(render(entries));
  });
  void longOpts;
  return code;
}

function cat(sh: ShellState, args: readonly string[], io: Io): number {
  const { operands, flags } = splitFlags(args);
  if (!operands.length) {
    io.out(io.stdin);
    return 0;
  }
  let code = 0;
  for (const f of operands) {
    if (f === '-') {
      io.out(io.stdin);
      continue;
    }
    const node = sh.fs.stat(sh.resolve(f));
    if (!node) code = fail(io, `cat: ${f}: No such file or directory`);
    else if (node.kind === 'dir') code = fail(io, `cat: ${f}: Is a directory`);
    else if (!readable(sh, node)) code = fail(io, `cat: ${f}: Permission denied`);
    else {
      const text = node.content ?? '';
      io.out(
        flags.has('n')
          ? text.replace(/^.*$/gm, (l, off: number) =>
              off === text.length ? l : `${String(text.slice(0, off).split('\n').length).padStart(6)}\t${l}`,
            )
          : text,
      );
    }
  }
  return code;
}

export function readable(sh: ShellState, node: FsNode): boolean {
  if (sh.user.uid === 0) return true;
  if (node.uid === sh.user.uid) return (node.mode & 0o400) !== 0;
  return (node.mode & 0o004) !== 0;
}

function mkdir(sh: ShellState, args: readonly string[], io: Io): number {
  const { flags, operands } = splitFlags(args);
  if (!operands.length) return usage(io, 'mkdir', 'missing operand');
  let code = 0;
  for (const d of operands) {
    const path = sh.resolve(d);
    if (flags.has('p')) {
      let cur = '';
      for (const part of path.split('/').filter(Boolean)) {
        cur += `/${part}`;
        const n = sh.fs.stat(cur);
        if (n && n.kind !== 'dir') return fail(io, `mkdir: cannot create directory ‘${d}’: Not a directory`);
        if (!n) {
          const e = sh.fs.mkdir(cur, sh.user.uid, sh.user.gid);
          if (e) return fail(io, `mkdir: cannot create directory ‘${d}’: ${errText(e)}`);
        }
      }
      continue;
    }
    const e = sh.fs.mkdir(path, sh.user.uid, sh.user.gid);
    if (e) code = fail(io, `mkdir: cannot create directory ‘${d}’: ${errText(e)}`);
  }
  return code;
}

function touch(sh: ShellState, args: readonly string[], io: Io): number {
  const { operands } = splitFlags(args);
  if (!operands.length) return usage(io, 'touch', 'missing file operand');
  let code = 0;
  for (const f of operands) {
    const path = sh.resolve(f);
    const e = sh.fs.stat(path)
      ? sh.fs.update(path, { mtime: sh.now() })
      : sh.fs.writeFile(path, '', { uid: sh.user.uid, gid: sh.user.gid });
    if (e) code = fail(io, `touch: cannot touch ${q(f)}: ${errText(e)}`);
  }
  return code;
}

function rm(sh: ShellState, args: readonly string[], io: Io): number {
  const { flags, operands } = splitFlags(args);
  const force = flags.has('f');
  if (!operands.length) return force ? 0 : usage(io, 'rm', 'missing operand');
  let code = 0;
  for (const f of operands) {
    const path = sh.resolve(f);
    const node = sh.fs.stat(path);
    if (!node) {
      if (!force) code = fail(io, `rm: cannot remove ${q(f)}: No such file or directory`);
      continue;
    }
    if (node.kind === 'dir' && !flags.has('r') && !flags.has('R')) {
      code = fail(io, `rm: cannot remove ${q(f)}: Is a directory`);
      continue;
    }
    if (path === '/') {
      code = fail(
        io,
        `rm: it is dangerous to operate recursively on '/'\nrm: use --no-preserve-root to override this failsafe`,
      );
      continue;
    }
    const e = sh.fs.remove(path, true, sh.user.uid);
    if (e) code = fail(io, `rm: cannot remove ${q(f)}: ${errText(e)}`);
  }
  return code;
}

function rmdir(sh: ShellState, args: readonly string[], io: Io): number {
  const { operands } = splitFlags(args);
  if (!operands.length) return usage(io, 'rmdir', 'missing operand');
  let code = 0;
  for (const d of operands) {
    const path = sh.resolve(d);
    const node = sh.fs.stat(path);
    const e: FsError | undefined = !node
      ? 'ENOENT'
      : node.kind !== 'dir'
        ? 'ENOTDIR'
        : sh.fs.remove(path, false, sh.user.uid);
    if (e) code = fail(io, `rmdir: failed to remove ${q(d)}: ${errText(e)}`);
  }
  return code;
}

function copyOrMove(tool: 'cp' | 'mv') {
  return (sh: ShellState, args: readonly string[], io: Io): number => {
    const { flags, operands } = splitFlags(args);
    if (operands.length === 0) return usage(io, tool, 'missing file operand');
    if (operands.length === 1) return usage(io, tool, `missing destination file operand after ${q(operands[0]!)}`);
    const dest = operands[operands.length - 1]!;
    const destPath = sh.resolve(dest);
    const destIsDir = sh.fs.stat(destPath)?.kind === 'dir';
    const sources = operands.slice(0, -1);
    if (sources.length > 1 && !destIsDir) return fail(io, `${tool}: target ${q(dest)} is not a directory`);
    let code = 0;
    for (const s of sources) {
      const from = sh.resolve(s);
      const node = sh.fs.stat(from);
      if (!node) {
        code = fail(io, `${tool}: cannot stat ${q(s)}: No such file or directory`);
        continue;
      }
      if (tool === 'cp' && node.kind === 'dir' && !flags.has('r') && !flags.has('R') && !flags.has('a')) {
        code = fail(io, `cp: -r not specified; omitting directory ${q(s)}`);
        continue;
      }
      const to = destIsDir ? `${destPath === '/' ? '' : destPath}/${baseName(from)}` : destPath;
      if (sh.fs.stat(to)) sh.fs.remove(to, true, 0);
      const e =
        sh.fs.copy(from, to, sh.user.uid, sh.user.gid) ??
        (tool === 'mv' ? sh.fs.remove(from, true, sh.user.uid) : undefined);
      if (e)
        code = fail(
          io,
          `${tool}: cannot ${tool === 'cp' ? 'create regular file' : 'move'} ${q(tool === 'cp' ? dest : s)}: ${errText(e)}`,
        );
    }
    return code;
  };
}

/** chmod's symbolic (`+x`, `u+rwx,go-w`) and octal modes. */
export function applyMode(mode: number, spec: string): number | null {
  if (/^[0-7]{1,4}$/.test(spec)) return parseInt(spec, 8);
  let m = mode;
  for (const clause of spec.split(',')) {
    const r = /^([ugoa]*)([+=-])([rwxXst]*)$/.exec(clause);
    if (!r) return null;
    const who = r[1] || 'a';
    let bits = 0;
    for (const p of r[3]!) {
      const v = p === 'r' ? 4 : p === 'w' ? 2 : p === 'x' || p === 'X' ? 1 : 0;
      if (who.includes('u') || who.includes('a')) bits |= v << 6;
      if (who.includes('g') || who.includes('a')) bits |= v << 3;
      if (who.includes('o') || who.includes('a')) bits |= v;
      if (p === 't') bits |= 0o1000;
    }
    if (r[2] === '+') m |= bits;
    else if (r[2] === '-') m &= ~bits;
    else m = (m & ~0o777) | bits;
  }
  return m;
}

function chmod(sh: ShellState, args: readonly string[], io: Io): number {
  const list = args.filter((a) => a !== '-R' && a !== '-v' && a !== '-f');
  if (list.length === 0) return usage(io, 'chmod', 'missing operand');
  const [spec, ...files] = list as [string, ...string[]];
  if (applyMode(0, spec) === null) return usage(io, 'chmod', `invalid mode: ‘${spec}’`);
  if (!files.length) return usage(io, 'chmod', `missing operand after ‘${spec}’`);
  let code = 0;
  for (const f of files) {
    const path = sh.resolve(f);
    const node = sh.fs.stat(path);
    if (!node) code = fail(io, `chmod: cannot access ${q(f)}: No such file or directory`);
    else if (sh.user.uid !== 0 && node.uid !== sh.user.uid)
      code = fail(io, `chmod: changing permissions of ${q(f)}: Operation not permitted`);
    else sh.fs.update(path, { mode: applyMode(node.mode, spec)! });
  }
  return code;
}

function chown(sh: ShellState, args: readonly string[], io: Io): number {
  const list = args.filter((a) => !a.startsWith('-'));
  if (list.length === 0) return usage(io, 'chown', 'missing operand');
  const [spec, ...files] = list as [string, ...string[]];
  if (!files.length) return usage(io, 'chown', `missing operand after ${q(spec)}`);
  const [owner, group] = spec.split(/[:.]/);
  const u = owner ? sh.users.find((x) => x.name === owner || String(x.uid) === owner) : undefined;
  if (owner && !u) return fail(io, `chown: invalid user: ${q(spec)}`);
  let code = 0;
  for (const f of files) {
    const path = sh.resolve(f);
    const node = sh.fs.stat(path);
    if (!node) code = fail(io, `chown: cannot access ${q(f)}: No such file or directory`);
    else if (sh.user.uid !== 0) code = fail(io, `chown: changing ownership of ${q(f)}: Operation not permitted`);
    else
      sh.fs.update(path, {
        uid: u?.uid ?? node.uid,
        gid: group !== undefined ? (sh.users.find((x) => x.name === group)?.gid ?? u?.gid ?? node.gid) : node.gid,
      });
  }
  return code;
}

export const fileCommands: CommandTable = {
  ls,
  dir: ls,
  cat,
  mkdir,
  touch,
  rm,
  rmdir,
  cp: copyOrMove('cp'),
  mv: copyOrMove('mv'),
  chmod,
  chown,
};

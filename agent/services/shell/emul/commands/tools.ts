import type { DistroName } from '../../../../../shared/catalog/distros';
import { bashVersions, distroOf } from '../facts';
import { type CommandTable, type Io, type ShellState, usage } from '../types';
import { loopControl } from '../compound';
import { clientCommands } from './clients';
import { textCommands } from './text';

/**
 * The commands of cowrie's list the other tables lacked: a compiler that "builds" (so a dropped
 * exploit's next step runs), git that fails to reach its remote (the URL is recorded), locate over
 * the session's filesystem, bash's `help`, chgrp, fgrep, netcat and killall5. dig, ethtool,
 * finger, php and ftpget stay unknown: a minimal server install has none of them.
 */

const q = (s: string) => `'${s}'`;

const gccVersions: Partial<Record<DistroName, string>> = {
  debian: 'gcc (Debian 12.2.0-14+deb12u1) 12.2.0\nCopyright (C) 2022',
  ubuntu22: 'gcc (Ubuntu 11.4.0-1ubuntu1~22.04) 11.4.0\nCopyright (C) 2021',
  ubuntu20: 'gcc (Ubuntu 9.4.0-1ubuntu1~20.04.2) 9.4.0\nCopyright (C) 2019',
  rocky9: 'gcc (GCC) 11.4.1 20231218 (Red Hat 11.4.1-3)\nCopyright (C) 2021',
  alpine: 'gcc (Alpine 13.2.1_git20231014) 13.2.1 20231014\nCopyright (C) 2023',
};

/** An ELF header and padding: what `file` and `head -c4` of a fresh build show. */
const fakeElf = (seed: string) =>
  '\x7fELF\x02\x01\x01\x00' + '\x00'.repeat(8) + '\x02\x00\x3e\x00' + seed.slice(0, 64).padEnd(64, '\x00');

function gcc(sh: ShellState, args: readonly string[], io: Io): number {
  if (args.includes('--version') || args.includes('-v')) {
    const v = gccVersions[distroOf(sh.id)] ?? gccVersions.debian!;
    io.out(
      `${v} Free Software Foundation, Inc.\nThis is free software; see the source for copying conditions.  There is NO\nwarranty; not even for MERCHANTABILITY or FITNESS FOR A PARTICULAR PURPOSE.\n\n`,
    );
    return 0;
  }
  let output = 'a.out';
  const inputs: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '-o') output = args[++i] ?? output;
    else if (!a.startsWith('-')) inputs.push(a);
  }
  if (inputs.length === 0) {
    io.err('gcc: fatal error: no input files\ncompilation terminated.\n');
    return 1;
  }
  const absent = inputs.find((f) => !sh.fs.stat(sh.resolve(f)));
  if (absent) {
    // A source file is opened by cc1, anything else (objects, libraries) by the driver itself.
    io.err(
      /\.(c|i)$/.test(absent)
        ? `cc1: fatal error: ${absent}: No such file or directory\ncompilation terminated.\n`
        : `gcc: error: ${absent}: No such file or directory\ngcc: fatal error: no input files\ncompilation terminated.\n`,
    );
    return 1;
  }
  const path = sh.resolve(output);
  const err = sh.fs.writeFile(path, fakeElf(inputs.join(' ')), { uid: sh.user.uid, gid: sh.user.gid });
  if (err) {
    io.err(
      `/usr/bin/ld: cannot open output file ${output}: ${err === 'EACCES' ? 'Permission denied' : 'No such file or directory'}\ncollect2: error: ld returned 1 exit status\n`,
    );
    return 1;
  }
  sh.fs.update(path, { mode: 0o755 });
  return 0;
}

function git(sh: ShellState, args: readonly string[], io: Io): number {
  const [sub, ...rest] = args;
  if (sub === '--version' || sub === 'version') return (io.out('git version 2.39.5\n'), 0);
  if (sub === undefined) {
    io.out(
      'usage: git [-v | --version] [-h | --help] [-C <path>] [-c <name>=<value>]\n           [--exec-path[=<path>]] [--html-path] [--man-path] [--info-path]\n           [-p | --paginate | -P | --no-pager] [--no-replace-objects] [--bare]\n           [--git-dir=<path>] [--work-tree=<path>] [--namespace=<name>]\n           [--config-env=<name>=<envvar>] <command> [<args>]\n',
    );
    return 1;
  }
  if (sub === 'clone') {
    const [url, dir] = rest.filter((a) => !a.startsWith('-'));
    if (!url) return (io.err('fatal: You must specify a repository to clone.\n'), 129);
    const name =
      dir ??
      url
        .replace(/\/+$/, '')
        .split('/')
        .pop()
        ?.replace(/\.git$/, '') ??
      'repo';
    sh.downloads.push({ tool: 'git', url, path: sh.resolve(name) });
    const host = /^[a-z+]+:\/\/(?:[^@/]*@)?([^/:]+)/i.exec(url)?.[1] ?? /^[^@]+@([^:]+):/.exec(url)?.[1] ?? url;
    io.err(
      `Cloning into ${q(name)}...\nfatal: unable to access '${url.replace(/\/?$/, '/')}': Could not resolve host: ${host}\n`,
    );
    return 128;
  }
  if (sub === 'init') return (io.out(`Initialized empty Git repository in ${sh.resolve(rest[0] ?? '.')}/.git/\n`), 0);
  io.err('fatal: not a git repository (or any of the parent directories): .git\n');
  return 128;
}

/** plocate over the session's filesystem (the base image and what the attacker wrote), bounded. */
function locate(sh: ShellState, args: readonly string[], io: Io): number {
  const patterns = args.filter((a) => !a.startsWith('-'));
  if (!patterns.length) return (io.err('plocate: no pattern to search for specified\n'), 1);
  const found: string[] = [];
  const stack = ['/'];
  let visited = 0;
  while (stack.length && visited < 20_000 && found.length < 1000) {
    const dir = stack.pop()!;
    visited++;
    for (const name of sh.fs.list(dir)) {
      const path = dir === '/' ? `/${name}` : `${dir}/${name}`;
      if (/^\/(proc|sys|dev)\b/.test(path)) continue;
      const node = sh.fs.stat(path);
      if (patterns.some((p) => path.includes(p))) found.push(path);
      if (node?.kind === 'dir' && !node.link) stack.push(path);
    }
  }
  found.sort();
  if (found.length) io.out(found.join('\n') + '\n');
  return found.length ? 0 : 1;
}

const builtinHelp: Readonly<Record<string, string>> = {
  cd: 'cd: cd [-L|[-P [-e]] [-@]] [dir]\n    Change the shell working directory.\n',
  echo: 'echo: echo [-neE] [arg ...]\n    Write arguments to the standard output.\n',
  export: 'export: export [-fn] [name[=value] ...] or export -p\n    Set export attribute for shell variables.\n',
  history:
    'history: history [-c] [-d offset] [n] or history -anrw [filename] or history -ps arg [arg...]\n    Display or manipulate the history list.\n',
  pwd: 'pwd: pwd [-LP]\n    Print the name of the current working directory.\n',
  exit: 'exit: exit [n]\n    Exit the shell.\n',
};

function help(sh: ShellState, args: readonly string[], io: Io): number {
  const topic = args.find((a) => !a.startsWith('-'));
  if (topic) {
    const text = builtinHelp[topic];
    if (text) return (io.out(text), 0);
    io.err(
      `${sh.builtinPrefix()}help: no help topics match \`${topic}'.  Try \`help help' or \`man -k ${topic}' or \`info ${topic}'.\n`,
    );
    return 1;
  }
  io.out(
    `GNU bash, version ${bashVersions[distroOf(sh.id)]}-release (x86_64-pc-linux-gnu)\nThese shell commands are defined internally.  Type \`help' to see this list.\nType \`help name' to find out more about the function \`name'.\nUse \`info bash' to find out more about the shell in general.\nUse \`man -k' or \`info' to find out more about commands not in this list.\n\nA star (*) next to a name means that the command is disabled.\n\n` +
      [
        'alias [-p] [name[=value] ... ]',
        'bg [job_spec ...]',
        'cd [-L|[-P [-e]] [-@]] [dir]',
        'echo [-neE] [arg ...]',
        'exit [n]',
        'export [-fn] [name[=value] ...] or export -p',
        'history [-c] [-d offset] [n] or history -anrw [filename]',
        'kill [-s sigspec | -n signum | -sigspec] pid | jobspec ...',
        'pwd [-LP]',
        'set [-abefhkmnptuvxBCEHPT] [-o option-name] [--] [-] [arg ...]',
        'unset [-f] [-v] [-n] [name ...]',
      ].join('\n') +
      '\n',
  );
  return 0;
}

function chgrp(sh: ShellState, args: readonly string[], io: Io): number {
  const list = args.filter((a) => !a.startsWith('-'));
  if (list.length === 0) return usage(io, 'chgrp', 'missing operand');
  const [group, ...files] = list as [string, ...string[]];
  if (!files.length) return usage(io, 'chgrp', `missing operand after ${q(group)}`);
  const g = sh.users.find((u) => u.name === group || String(u.gid) === group);
  // coreutils quotes this one with quote() (curly in a UTF-8 locale), file names with quotef().
  if (!g) return (io.err(`chgrp: invalid group: \u2018${group}\u2019\n`), 1);
  let code = 0;
  for (const f of files) {
    const path = sh.resolve(f);
    const node = sh.fs.stat(path);
    if (!node) code = (io.err(`chgrp: cannot access ${q(f)}: No such file or directory\n`), 1);
    else if (sh.user.uid !== 0 && node.uid !== sh.user.uid)
      code = (io.err(`chgrp: changing group of ${q(f)}: Operation not permitted\n`), 1);
    else sh.fs.update(path, { gid: g.gid });
  }
  return code;
}

/** killall5 as root signals every process, this session's shell included: the connection drops. */
function killall5(sh: ShellState, args: readonly string[], io: Io): number {
  if (sh.user.uid !== 0) return (io.err('killall5: Operation not permitted\n'), 1);
  if (args.some((a) => /^-(9|KILL|15|TERM)$/.test(a)) || args.length === 0) sh.exited = true;
  return 0;
}

const grepCmd = textCommands['grep']!;
const ncCmd = clientCommands['nc']!;

export const toolCommands: CommandTable = {
  gcc,
  cc: gcc,
  git,
  locate,
  plocate: locate,
  help,
  chgrp,
  killall5,
  fgrep: (sh, args, io) => grepCmd(sh, ['-F', ...args], io),
  netcat: ncCmd,
  return: (sh, args, io) => {
    if (sh.args.length === 0) {
      io.err(`${sh.builtinPrefix()}return: can only \`return' from a function or sourced script\n`);
      return 2;
    }
    const n = args[0] === undefined ? sh.lastCode : Number(args[0]);
    if (!Number.isInteger(n)) {
      io.err(`${sh.builtinPrefix()}return: ${args[0]}: numeric argument required\n`);
      sh.loop.ctl = { kind: 'return', n: 2 };
      return 2;
    }
    sh.loop.ctl = { kind: 'return', n: ((n % 256) + 256) % 256 };
    return sh.loop.ctl.n;
  },
  break: loopControl('break'),
  continue: loopControl('continue'),
};

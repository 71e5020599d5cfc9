import type { Io, ShellState } from './types';

export type PathRunner = ShellState & Readonly<{ invoke: (words: string[], io: Io) => number }>;

/** `./x.sh`, `/tmp/bot`: what bash says for each kind of file; text scripts run here. */
export function runPath(sh: PathRunner, name: string, args: string[], io: Io): number {
  const path = sh.resolve(name);
  const node = sh.fs.stat(path);
  const p = sh.errPrefix();
  if (!node) {
    io.err(`${p}${name}: No such file or directory\n`);
    return 127;
  }
  if (node.kind === 'dir') {
    io.err(`${p}${name}: Is a directory\n`);
    return 126;
  }
  if ((node.mode & 0o111) === 0 || (sh.user.uid !== 0 && node.uid !== sh.user.uid && (node.mode & 0o001) === 0)) {
    io.err(`${p}${name}: Permission denied\n`);
    return 126;
  }
  const base = name.slice(name.lastIndexOf('/') + 1);
  if (node.content === undefined) return sh.hasCommand(base) ? sh.invoke([base, ...args], io) : 0;
  const content = node.content;
  // An x86-64 ELF (what this host's gcc builds, or a bot for this arch) starts and crashes, as an
  // exploit for another kernel does; any other binary is for a foreign architecture.
  if (content.startsWith('\x7fELF\x02') && content.charCodeAt(18) === 0x3e && content.charCodeAt(19) === 0) {
    // bash's job report: bare on a pty; with the line, pid and command otherwise (ulimit -c 0, so
    // no "(core dumped)", as on a stock Debian).
    const pid = 2000 + ((sh.now() >>> 3) % 30_000);
    io.err(
      sh.mode === 'shell'
        ? 'Segmentation fault\n'
        : `${p}${pid} Segmentation fault      ${[name, ...args].join(' ')}\n`,
    );
    return 139;
  }
  if (content.startsWith('\x7fELF') || content.includes('\0')) {
    io.err(`${p}${name}: cannot execute binary file: Exec format error\n`);
    return 126;
  }
  return sh.runNested(content, io);
}

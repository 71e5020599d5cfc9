/**
 * The fake shell behind a successful honeypot login. Nothing is ever executed: every answer comes
 * from the static table below, computed from the persona only. Command lines are split on shell
 * separators purely to pick canned answers; no expansion, no redirection, no state besides the
 * prompt.
 */
export type ShellIdentity = Readonly<{ user: string; hostname: string; kernel: string }>;

export type ShellReply = Readonly<{ output: string; code: number; exit: boolean }>;

const rootListing =
  'bin   dev  home  lib32  libx32      media  opt   root  sbin  sys  usr\nboot  etc  lib   lib64  lost+found  mnt    proc  run   srv   tmp  var';

export function homeOf(user: string): string {
  return user === 'root' ? '/root' : `/home/${user}`;
}

export function promptOf(id: ShellIdentity): string {
  const short = id.hostname.split('.')[0] ?? id.hostname;
  return `${id.user}@${short}:~${id.user === 'root' ? '#' : '$'} `;
}

function uname(args: string[], id: ShellIdentity): string {
  const parts = {
    s: 'Linux',
    n: id.hostname,
    r: id.kernel,
    v: '#1 SMP PREEMPT_DYNAMIC',
    m: 'x86_64',
    o: 'GNU/Linux',
  };
  const flags = args.join('').replace(/-/g, '');
  if (flags === '') return parts.s;
  if (flags.includes('a')) return `${parts.s} ${parts.n} ${parts.r} ${parts.v} ${parts.m} ${parts.o}`;
  const order = ['s', 'n', 'r', 'v', 'm', 'o'] as const;
  const picked = order.filter((k) => flags.includes(k)).map((k) => parts[k]);
  return picked.length
    ? picked.join(' ')
    : `uname: invalid option -- '${flags[0] ?? ''}'\nTry 'uname --help' for more information.`;
}

function ls(args: string[], id: ShellIdentity): string {
  const paths = args.filter((a) => !a.startsWith('-'));
  const long = args.some((a) => a.startsWith('-') && a.includes('l'));
  if (paths[0] === '/') return rootListing;
  if (paths[0] !== undefined && paths[0] !== '.' && paths[0] !== '~' && paths[0] !== homeOf(id.user)) {
    return `ls: cannot access '${paths[0]}': No such file or directory`;
  }
  if (!long) return id.user === 'root' ? '' : 'backup.sh  notes.txt';
  const owner = `${id.user} ${id.user}`;
  const lines = [
    'total 16',
    `drwx------ 3 ${owner} 4096 Mar  3 09:12 .`,
    `drwxr-xr-x 3 root root 4096 Jan 14 10:01 ..`,
    `-rw------- 1 ${owner}  812 Mar  3 09:14 .bash_history`,
    `-rw-r--r-- 1 ${owner} 3526 Jan 14 10:01 .bashrc`,
  ];
  if (id.user !== 'root')
    lines.push(
      `-rwxr-xr-x 1 ${owner}  231 Feb 20 17:40 backup.sh`,
      `-rw-r--r-- 1 ${owner}   97 Feb 21 08:05 notes.txt`,
    );
  return lines.join('\n');
}

function stripQuotes(word: string): string {
  return word.replace(/^(['"])(.*)\1$/, '$2');
}

function one(command: string, id: ShellIdentity): ShellReply {
  const words = command.trim().split(/\s+/).filter(Boolean);
  const [cmd, ...args] = words;
  const ok = (output: string): ShellReply => ({ output, code: 0, exit: false });
  switch (cmd) {
    case undefined:
      return ok('');
    case 'exit':
    case 'logout':
      return { output: '', code: 0, exit: true };
    case 'uname':
      return ok(uname(args, id));
    case 'id':
      return ok(
        id.user === 'root'
          ? 'uid=0(root) gid=0(root) groups=0(root)'
          : `uid=1000(${id.user}) gid=1000(${id.user}) groups=1000(${id.user}),24(cdrom),27(sudo)`,
      );
    case 'whoami':
      return ok(id.user);
    case 'pwd':
      return ok(homeOf(id.user));
    case 'hostname':
      return ok(id.hostname);
    case 'ls':
      return ok(ls(args, id));
    case 'echo':
      return ok(args.map(stripQuotes).join(' '));
    case 'cd':
    case 'true':
    case 'export':
    case 'clear':
      return ok('');
    case 'false':
      return { output: '', code: 1, exit: false };
    default:
      return { output: `-bash: ${cmd}: command not found`, code: 127, exit: false };
  }
}

/**
 * Answers one command line. Separators `;`, `&&`, `||` run the pieces in turn (a pipeline answers
 * as its first command); `exit` stops the rest.
 */
export function answerCommandLine(line: string, id: ShellIdentity): ShellReply {
  const outputs: string[] = [];
  let code = 0;
  for (const piece of line.split(/;|&&|\|\|/)) {
    const first = piece.split('|')[0] ?? '';
    const reply = one(first, id);
    if (reply.output) outputs.push(reply.output);
    code = reply.code;
    if (reply.exit) return { output: outputs.join('\n'), code, exit: true };
  }
  return { output: outputs.join('\n'), code, exit: false };
}

import { builtinCommands } from './commands/builtins';
import { clientCommands } from './commands/clients';
import { extraCommands } from './commands/extra';
import { fileCommands } from './commands/files';
import { interpreters, miscCommands } from './commands/misc';
import { netCommands } from './commands/net';
import { procCommands } from './commands/procs';
import { systemCommands } from './commands/system';
import { testCommands } from './commands/test-cmd';
import { textCommands } from './commands/text';
import { toolCommands } from './commands/tools';
import { distroFacts, distroOf, machineFacts, userTable, type ShellIdentity, type UserInfo } from './facts';
import { Shell } from './interp';
import { parse, ShellSyntaxError } from './parser';
import { shellLimits } from './limits';
import { buildPersonaBase } from './persona-fs';
import { placeholderScript } from './commands/fetch';
import type { CapturedFile, CommandTable, Download, FetchedUrl } from './types';
import { SessionFs, type BaseLayer } from './vfs';

/**
 * One logged-in connection's machine: the copy-on-write filesystem, crontabs and downloads are
 * shared by all its channels (an scp-style second exec sees what the first wrote); each channel
 * gets its own shell (cwd, variables, history).
 */
export const commandTable: CommandTable = {
  ...builtinCommands,
  ...fileCommands,
  ...textCommands,
  ...systemCommands,
  ...procCommands,
  ...netCommands,
  ...miscCommands,
  ...extraCommands,
  ...clientCommands,
  ...testCommands,
  ...toolCommands,
};

/** Builtins and "not installed" names have no file under /usr/bin. */
const notFiles = new Set([
  'cd',
  'export',
  'unset',
  'history',
  'exit',
  'logout',
  'type',
  'set',
  ':',
  'source',
  '.',
  'alias',
  'unalias',
  'umask',
  'ulimit',
  'read',
  'wait',
  'jobs',
  'hash',
  'command',
  'yum',
  'dnf',
  'apk',
  'apt',
  'apt-get',
]);

function binariesFor(id: ShellIdentity): string[] {
  const pm = distroFacts[distroOf(id)].packageManager;
  const extra = pm === 'apt' ? ['apt', 'apt-get'] : pm === 'dnf' ? ['dnf', 'yum'] : [pm];
  const missing = Object.entries(interpreters[distroOf(id)] ?? {}).flatMap(([name, v]) => (v === null ? [name] : []));
  return [...Object.keys(commandTable).filter((n) => !notFiles.has(n) && !missing.includes(n)), ...extra];
}

/** Base layers are immutable, so deckies with the same persona share one (bounded cache). */
const baseCache = new Map<string, BaseLayer>();
const MAX_CACHED_BASES = 32;

function baseFor(id: ShellIdentity, facts: ReturnType<typeof machineFacts>): BaseLayer {
  const key = JSON.stringify([
    id.hostname,
    id.kernel,
    id.distro,
    id.users,
    id.ip,
    id.seed,
    Math.floor(facts.bootMs / 86_400_000),
  ]);
  let base = baseCache.get(key);
  if (!base) {
    base = buildPersonaBase(id, facts, binariesFor(id));
    if (baseCache.size >= MAX_CACHED_BASES) baseCache.delete(baseCache.keys().next().value!);
    baseCache.set(key, base);
  }
  return base;
}

/**
 * What a pty line still needs before bash would run it: the text to prepend to the next line, or
 * null when it is complete (or wrong in a way more input cannot fix).
 */
function continuation(line: string): string | null {
  if (/(^|[^\\])(\\\\)*\\$/.test(line)) return line.slice(0, -1);
  try {
    parse(line);
    return null;
  } catch (e) {
    return e instanceof ShellSyntaxError && /unexpected EOF|unexpected end of file/.test(e.message)
      ? `${line}\n`
      : null;
  }
}

export type ShellOutput = Readonly<{
  /** stdout and stderr in the order written (a terminal shows them interleaved). */
  chunks: readonly { fd: 1 | 2; text: string }[];
  code: number;
  exit: boolean;
  /** URLs fetched by this line (wget/curl/tftp), for the command event. */
  downloads: readonly Download[];
  /** Payloads real fetches of this line brought in (empty when the decky fakes transfers). */
  files: readonly CapturedFile[];
  truncated: boolean;
}>;

export type ShellSession = Readonly<{
  run: (line: string) => ShellOutput;
  prompt: () => string;
  user: () => UserInfo;
  /** Every URL fetched in this session so far. */
  downloads: () => readonly Download[];
  /** ^C: drops a command still being continued at the `> ` prompt. */
  cancel: () => void;
}>;

export type EmulatedMachine = Readonly<{
  open: (mode: 'shell' | 'exec') => ShellSession;
  /** The connection's filesystem (sftp and scp uploads write here) and its login user. */
  fs: SessionFs;
  user: UserInfo;
  /** Stores the result of a real fetch done before a line runs; wget/curl of that URL use it. */
  remember: (url: string, result: FetchedUrl) => void;
  /**
   * Files this connection created or changed with content of its own (droppers written with
   * `echo … > f`, uploads), for the capture at session end. Faked downloads are left out.
   */
  writtenFiles: () => { path: string; content: string }[];
}>;

/** Real fetches remembered per connection, in count and body bytes (the oldest is forgotten past it). */
const MAX_FETCHED = 64;
const MAX_FETCHED_BYTES = 8 * 1024 * 1024;

export function createMachine(id: ShellIdentity, now: () => number = Date.now): EmulatedMachine {
  const facts = machineFacts(id, now());
  const fs = new SessionFs(baseFor(id, facts), now);
  const users = userTable(id);
  const user = users.find((u) => u.name === id.user) ?? {
    name: id.user,
    uid: 1000,
    gid: 1000,
    home: '/tmp',
    shell: '/bin/bash',
  };
  const crontabs = new Map<string, string>();
  const downloads: Download[] = [];
  const fetched = new Map<string, FetchedUrl>();
  const captured: CapturedFile[] = [];
  const placeholder = placeholderScript();
  return {
    fs,
    user,
    remember: (url, result) => {
      fetched.delete(url);
      fetched.set(url, result);
      const bytes = () => [...fetched.values()].reduce((n, r) => n + (r.ok ? r.body.length : 0), 0);
      while (fetched.size > 1 && (fetched.size > MAX_FETCHED || bytes() > MAX_FETCHED_BYTES))
        fetched.delete(fetched.keys().next().value!);
    },
    writtenFiles: () =>
      fs
        .ownFiles()
        .filter((f) => f.content.length > 0 && f.content !== placeholder)
        .map((f) => ({ path: f.path, content: f.content })),
    open: (mode) => {
      let pending: string | null = null;
      const sh = new Shell({
        id,
        facts,
        fs,
        users: users.some((u) => u.name === user.name) ? users : [...users, user],
        user,
        commands: commandTable,
        mode,
        crontabs,
        downloads,
        fetched,
        captured,
        now,
      });
      return {
        run: (typed) => {
          // On a pty, an open quote, a trailing `|`/`&&`, an unfinished `for`… or a final
          // backslash makes bash ask for more at PS2 (`> `); the pieces run as one command.
          const line = pending !== null ? pending + typed : typed;
          pending = null;
          if (mode === 'shell' && line.length < shellLimits.maxLineBytes) {
            const more = continuation(line);
            if (more !== null) {
              pending = more;
              return { chunks: [], code: sh.lastCode, exit: false, downloads: [], files: [], truncated: false };
            }
          }
          const chunks: { fd: 1 | 2; text: string }[] = [];
          let bytes = 0;
          let truncated = false;
          const sink = (fd: 1 | 2) => (s: string) => {
            if (!s) return;
            if (bytes + s.length > shellLimits.maxOutputBytes) {
              truncated = true;
              s = s.slice(0, Math.max(0, shellLimits.maxOutputBytes - bytes));
              if (!s) return;
            }
            bytes += s.length;
            const last = chunks[chunks.length - 1];
            if (last?.fd === fd) last.text += s;
            else chunks.push({ fd, text: s });
          };
          const before = downloads.length;
          const filesBefore = captured.length;
          let code: number;
          try {
            code = sh.runLine(line, { stdin: '', out: sink(1), err: sink(2), tty: mode === 'shell' });
          } catch {
            // A bug in a command must not take the service down; the line just fails, as a crash would.
            sink(2)(`${sh.errPrefix()}Segmentation fault (core dumped)\n`);
            code = 139;
          }
          return {
            chunks,
            code,
            exit: sh.exited,
            downloads: downloads.slice(before),
            files: captured.slice(filesBefore),
            truncated,
          };
        },
        prompt: () => {
          if (pending !== null) return '> ';
          const short = id.hostname.split('.')[0] ?? id.hostname;
          const home = sh.user.home;
          const cwd = sh.cwd === home ? '~' : sh.cwd.startsWith(`${home}/`) ? `~${sh.cwd.slice(home.length)}` : sh.cwd;
          return `${sh.user.name}@${short}:${cwd}${sh.user.uid === 0 ? '#' : '$'} `;
        },
        user: () => sh.user,
        cancel: () => {
          pending = null;
        },
        downloads: () => downloads,
      };
    },
  };
}

import { runCompound } from './compound';
import { expandString, expandWord } from './expand';
import { runPath } from './run-path';
import { bashVersions, distroOf, type MachineFacts, type ShellIdentity, type UserInfo } from './facts';
import { shellLimits } from './limits';
import { parse, ShellSyntaxError, type Pipeline, type Script, type SimpleCommand } from './parser';
import type { CapturedFile, CommandTable, Download, FetchedUrl, Io, ShellState } from './types';
import { fsErrorText, resolvePath, type SessionFs } from './vfs';

/**
 * Runs parsed command lines against the session's state. Every "program" is a function from the
 * command table; a path (`./x.sh`) is looked up in the fake filesystem and, if it is an
 * executable text file, its lines are run by this same interpreter. Nothing reaches the worker.
 */
export type ShellInit = Readonly<{
  id: ShellIdentity;
  facts: MachineFacts;
  fs: SessionFs;
  users: readonly UserInfo[];
  user: UserInfo;
  commands: CommandTable;
  mode: 'shell' | 'exec';
  crontabs: Map<string, string>;
  downloads: Download[];
  fetched: ReadonlyMap<string, FetchedUrl>;
  captured: CapturedFile[];
  now: () => number;
}>;

type Sink = (s: string) => void;

export class Shell implements ShellState {
  readonly id: ShellIdentity;
  readonly facts: MachineFacts;
  readonly fs: SessionFs;
  readonly users: readonly UserInfo[];
  readonly env = new Map<string, string>();
  readonly history: string[] = [];
  readonly downloads: Download[];
  readonly fetched: ReadonlyMap<string, FetchedUrl>;
  readonly captured: CapturedFile[];
  readonly crontabs: Map<string, string>;
  readonly killed = new Set<number>();
  readonly mode: 'shell' | 'exec';
  user: UserInfo;
  cwd: string;
  lastCode = 0;
  exited = false;
  readonly loop: ShellState['loop'] = { depth: 0, ctl: null };
  readonly functions = new Map<string, unknown>();
  readonly args: string[][] = [];
  private depth = 0;
  private ranInLine = 0;
  private lineStart = 0;
  private readonly commands: CommandTable;
  readonly now: () => number;

  constructor(init: ShellInit) {
    this.id = init.id;
    this.facts = init.facts;
    this.fs = init.fs;
    this.users = init.users;
    this.user = init.user;
    this.commands = init.commands;
    this.mode = init.mode;
    this.crontabs = init.crontabs;
    this.downloads = init.downloads;
    this.fetched = init.fetched;
    this.captured = init.captured;
    this.now = init.now;
    this.cwd = init.user.home;
    this.resetEnv();
  }

  /** The login environment of the current user (su and sudo -i replace it). */
  resetEnv(): void {
    const u = this.user;
    this.env.clear();
    const vars: Record<string, string> = {
      SHELL: u.shell,
      PWD: this.cwd,
      LOGNAME: u.name,
      HOME: u.home,
      LANG: 'C.UTF-8',
      TERM: 'xterm-256color',
      USER: u.name,
      SHLVL: '1',
      BASH_VERSION: bashVersions[distroOf(this.id)],
      PATH:
        u.uid === 0
          ? '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'
          : '/usr/local/bin:/usr/bin:/bin:/usr/local/games:/usr/games',
      MAIL: `/var/mail/${u.name}`,
      HOSTNAME: this.id.hostname,
      _: '/usr/bin/env',
    };
    if (this.id.from) vars.SSH_CLIENT = `${this.id.from} 51234 22`;
    for (const [k, v] of Object.entries(vars)) this.env.set(k, v);
  }

  resolve(p: string): string {
    return resolvePath(this.cwd, p, this.user.home);
  }

  hasCommand(name: string): boolean {
    return Object.hasOwn(this.commands, name);
  }

  errPrefix(): string {
    // sshd's `bash -c` (bash 5.x) numbers the line: `bash: line 1: foo: command not found`.
    return this.mode === 'shell' && this.depth === 0 ? '-bash: ' : 'bash: line 1: ';
  }

  builtinPrefix(): string {
    return this.mode === 'shell' && this.depth === 0 ? '-bash: ' : 'bash: line 1: ';
  }

  /** Runs one typed line at the top level: parse, run, keep history. */
  runLine(line: string, io: Io): number {
    const text = line.slice(0, shellLimits.maxLineBytes);
    if (text.trim() !== '') {
      this.history.push(text);
      if (this.history.length > shellLimits.maxHistory) this.history.shift();
    }
    this.ranInLine = 0;
    this.lineStart = performance.now();
    return this.exec(text, io);
  }

  runNested(line: string, io: Io): number {
    if (this.depth >= shellLimits.maxDepth) {
      io.err(`${this.errPrefix()}maximum nesting level exceeded\n`);
      return 1;
    }
    this.depth++;
    // `exit` in `sh -c`, a script or `$(…)` ends that child shell, not the login session.
    const exited = this.exited;
    try {
      return this.exec(line, io);
    } finally {
      this.depth--;
      this.exited = exited;
    }
  }

  private exec(line: string, io: Io): number {
    let script: Script;
    try {
      script = parse(line);
    } catch (e) {
      if (!(e instanceof ShellSyntaxError)) throw e;
      // `bash -c` names the string and its line; an EOF inside quotes also ends the "file".
      if (this.mode === 'exec') {
        io.err(`bash: -c: line 1: ${e.message}\n`);
        if (e.message.startsWith('unexpected EOF')) io.err('bash: -c: line 2: syntax error: unexpected end of file\n');
      } else io.err(`${this.errPrefix()}${e.message}\n`);
      this.lastCode = 2;
      return 2;
    }
    return this.runScript(script, io);
  }

  runScript(script: Script, io: Io): number {
    for (const andOr of script) {
      if (this.exited || this.loop.ctl) break;
      let code = this.pipeline(andOr.first, io);
      for (const { op, p } of andOr.rest) {
        if (this.exited || this.loop.ctl) break;
        if ((op === '&&' && code === 0) || (op === '||' && code !== 0)) code = this.pipeline(p, io);
      }
      this.lastCode = code;
    }
    return this.lastCode;
  }

  private pipeline(p: Pipeline, io: Io): number {
    if (p.cmds.length > shellLimits.maxPipeline) {
      io.err(`${this.errPrefix()}fork: retry: Resource temporarily unavailable\n`);
      return 254;
    }
    let stdin = io.stdin;
    let code = 0;
    p.cmds.forEach((cmd, i) => {
      const last = i === p.cmds.length - 1;
      let piped = '';
      const out: Sink = last
        ? io.out
        : (s) => {
            if (piped.length < shellLimits.maxOutputBytes) piped += s;
          };
      code = this.simple(cmd, { stdin, out, err: io.err, tty: last && io.tty === true });
      stdin = piped;
    });
    return p.bang ? (code === 0 ? 1 : 0) : code;
  }

  private simple(cmd: SimpleCommand, io: Io): number {
    if (
      ++this.ranInLine > shellLimits.maxCommandsPerLine ||
      performance.now() - this.lineStart >= shellLimits.maxLineMs
    ) {
      // Said once; every later command of the line fails quietly, as a fork storm's would.
      if (this.ranInLine !== Infinity) io.err(`${this.errPrefix()}fork: retry: Resource temporarily unavailable\n`);
      this.ranInLine = Infinity;
      return 254;
    }
    if (cmd.group) return this.withRedirs(cmd, io, (rio) => this.subshell(cmd.group!, rio));
    if (cmd.compound) return this.withRedirs(cmd, io, (rio) => runCompound(this, cmd.compound!, rio));
    const words: string[] = [];
    for (const w of cmd.words) {
      words.push(...expandWord(this, w, io));
      if (words.length > shellLimits.maxWords) {
        io.err(`${this.errPrefix()}Argument list too long\n`);
        return 126;
      }
    }
    // A fatal expansion error (`$((1/0))` in `bash -c`) ends the shell before the command runs.
    if (this.exited) return 1;
    const assigns = cmd.assigns.map(
      (a) => [a.name, expandString(this, a.value, io).slice(0, shellLimits.maxVarBytes)] as const,
    );
    if (words.length === 0) {
      for (const [k, v] of assigns) this.setVar(k, v);
      return cmd.redirs.length ? this.withRedirs(cmd, io, () => 0) : 0;
    }
    const saved = assigns.map(([k]) => [k, this.env.get(k)] as const);
    for (const [k, v] of assigns) this.setVar(k, v);
    try {
      return this.withRedirs(cmd, io, (rio) => this.invoke(words, rio));
    } finally {
      for (const [k, v] of saved) {
        if (v === undefined) this.env.delete(k);
        else this.env.set(k, v);
      }
    }
  }

  /** A shell function: its own positional parameters; `return [n]` ends it with n (or the last code). */
  private call(body: SimpleCommand, args: string[], io: Io): number {
    if (this.args.length >= shellLimits.maxCallDepth) {
      io.err(`${this.errPrefix()}maximum function nesting level exceeded\n`);
      return 1;
    }
    this.args.push(args);
    const loops = this.loop.depth;
    this.loop.depth = 0;
    try {
      const code = this.runScript([{ first: { cmds: [body], bang: false }, rest: [] }], io);
      const ctl = this.loop.ctl;
      if (ctl?.kind !== 'return') return code;
      this.loop.ctl = null;
      return ctl.n;
    } finally {
      this.args.pop();
      this.loop.depth = loops;
    }
  }

  /** `( … )`: runs with a copy of cwd, user and variables; `exit` leaves only the subshell. */
  private subshell(script: Script, io: Io): number {
    if (this.depth >= shellLimits.maxDepth) {
      io.err(`${this.errPrefix()}maximum nesting level exceeded\n`);
      return 1;
    }
    const saved = { cwd: this.cwd, user: this.user, env: new Map(this.env), exited: this.exited };
    this.depth++;
    try {
      return this.runScript(script, io);
    } finally {
      this.depth--;
      this.cwd = saved.cwd;
      this.user = saved.user;
      this.exited = saved.exited;
      this.env.clear();
      for (const [k, v] of saved.env) this.env.set(k, v);
    }
  }

  /** False once this line has run its quota of simple commands (loops stop there). */
  budgetLeft(): boolean {
    return (
      this.ranInLine < shellLimits.maxCommandsPerLine && performance.now() - this.lineStart < shellLimits.maxLineMs
    );
  }

  setVar(name: string, value: string): void {
    if (!this.env.has(name) && this.env.size >= shellLimits.maxVars) return;
    this.env.set(name, value);
  }

  /** Applies `>`, `>>`, `<`, `2>&1` in order, runs, then writes captured output into the fake FS. */
  private withRedirs(cmd: SimpleCommand, io: Io, run: (io: Io) => number): number {
    const sinks: Record<number, Sink> = { 1: io.out, 2: io.err };
    let stdin = io.stdin;
    const files: { path: string; append: boolean; text: string }[] = [];
    for (const r of cmd.redirs) {
      const target = expandString(this, r.target, io);
      if (r.op === '>&') {
        sinks[r.fd] = sinks[Number(target)] ?? sinks[1]!;
        continue;
      }
      const path = this.resolve(target);
      if (r.op === '<') {
        const node = this.fs.stat(path);
        if (!node || node.kind === 'dir') {
          io.err(`${this.errPrefix()}${target}: ${node ? 'Is a directory' : 'No such file or directory'}\n`);
          return 1;
        }
        stdin = node.content ?? '';
        continue;
      }
      if (path === '/dev/null') {
        sinks[r.fd] = () => undefined;
        continue;
      }
      const file = { path, append: r.op === '>>', text: '' };
      // Truncate now, as the shell does before the command starts.
      const err = this.fs.writeFile(path, '', { append: file.append, uid: this.user.uid, gid: this.user.gid });
      if (err) {
        io.err(`${this.errPrefix()}${target}: ${fsErrorText[err]}\n`);
        return 1;
      }
      file.append = true;
      files.push(file);
      sinks[r.fd] = (s) => {
        if (file.text.length < shellLimits.maxFsBytes) file.text += s;
      };
    }
    try {
      return run({ stdin, out: sinks[1]!, err: sinks[2]!, tty: io.tty === true && sinks[1] === io.out });
    } finally {
      for (const f of files) {
        const err = this.fs.writeFile(f.path, f.text, { append: true, uid: this.user.uid, gid: this.user.gid });
        if (err) io.err(`${this.errPrefix()}echo: write error: ${fsErrorText[err]}\n`);
      }
    }
  }

  invoke(words: string[], io: Io): number {
    const [name, ...args] = words as [string, ...string[]];
    if (name.includes('/')) return runPath(this, name, args, io);
    const body = this.functions.get(name) as SimpleCommand | undefined;
    if (body) return this.call(body, args, io);
    const fn = this.commands[name];
    if (!fn || !Object.hasOwn(this.commands, name)) {
      io.err(`${this.errPrefix()}${name}: command not found\n`);
      return 127;
    }
    return fn(this, args, io);
  }
}

import type { MachineFacts, ShellIdentity, UserInfo } from './facts';
import type { SessionFs } from './vfs';

/** A URL a fetch command was asked for (`path` is where it was saved, `-` for stdout). */
export type Download = Readonly<{ tool: string; url: string; path: string }>;

/**
 * What a real fetch of a URL gave, done by the service before the line ran (the shell itself is
 * synchronous and never does I/O). `body` holds bytes as latin1 text, as the fake filesystem does.
 */
export type FetchedUrl =
  | Readonly<{ ok: true; body: string; contentType: string }>
  | Readonly<{ ok: false; reason: string; status?: number; address?: string }>;

/** A payload a command brought into the session (a real fetch), for the quarantine. */
export type CapturedFile = Readonly<{ channel: string; source: string; path: string; content: string }>;

/** The streams of one command: stdin as text, stdout and stderr as writers. */
export type Io = Readonly<{
  stdin: string;
  out: (s: string) => void;
  err: (s: string) => void;
  /** Is stdout the terminal (a pty, not a pipe or a file)? `ls` lays out columns only then. */
  tty?: boolean;
}>;

/** What every command sees of the session. */
export interface ShellState {
  readonly id: ShellIdentity;
  readonly facts: MachineFacts;
  readonly fs: SessionFs;
  readonly users: readonly UserInfo[];
  readonly env: Map<string, string>;
  readonly history: string[];
  readonly downloads: Download[];
  /** Real fetches of this connection by URL (empty when the decky fakes transfers). */
  readonly fetched: ReadonlyMap<string, FetchedUrl>;
  /** Payloads brought in by real fetches, in order. */
  readonly captured: CapturedFile[];
  readonly crontabs: Map<string, string>;
  /** Processes killed in this session (ps stops listing them). */
  readonly killed: Set<number>;
  /** Loops being run and a pending `break`/`continue` (n levels), which stops the running body. */
  readonly loop: { depth: number; ctl: { kind: 'break' | 'continue' | 'return'; n: number } | null };
  /** Shell functions defined in this session (their bodies, run by `invoke`). */
  readonly functions: Map<string, unknown>;
  /** Positional parameters of the running function calls, innermost last (`$1`, `$#`, `$@`). */
  readonly args: string[][];
  readonly mode: 'shell' | 'exec';
  user: UserInfo;
  cwd: string;
  lastCode: number;
  exited: boolean;
  now(): number;
  /** Absolute path of `p` from the cwd. */
  resolve(p: string): string;
  /** Runs a command line inside this session (sh -c, scripts, `$(…)`); returns its exit code. */
  runNested(line: string, io: Io): number;
  /** Is `name` a command (builtin or "binary") this shell has? */
  hasCommand(name: string): boolean;
  /** The message prefix bash uses for its own errors (`-bash: ` on a login pty, `bash: line 1: ` for `bash -c`). */
  errPrefix(): string;
  /** bash's builtin_error adds the line number when not interactive (`bash: line 1: cd: …`). */
  builtinPrefix(): string;
}

export type Command = (sh: ShellState, args: readonly string[], io: Io) => number;
export type CommandTable = Readonly<Record<string, Command>>;

/** The usual "missing operand" family of coreutils messages. */
export function usage(io: Io, tool: string, message: string): number {
  io.err(`${tool}: ${message}\nTry '${tool} --help' for more information.\n`);
  return 1;
}

/** Splits `-la` style flags from operands (stops at `--`); long options are kept whole. */
export function splitFlags(args: readonly string[]): { flags: Set<string>; long: string[]; operands: string[] } {
  const flags = new Set<string>();
  const long: string[] = [];
  const operands: string[] = [];
  let done = false;
  for (const a of args) {
    if (done || a === '-' || !a.startsWith('-')) operands.push(a);
    else if (a === '--') done = true;
    else if (a.startsWith('--')) long.push(a);
    else for (const c of a.slice(1)) flags.add(c);
  }
  return { flags, long, operands };
}

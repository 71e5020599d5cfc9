/**
 * The shell behind a successful honeypot login: the emulated shell in `emul/` (a copy-on-write
 * fake filesystem from the persona, a real command-line parser, ~90 commands). Nothing is ever
 * executed on the worker. This module keeps the small API ssh and telnet sessions use.
 */
import { createMachine, type EmulatedMachine, type ShellOutput } from './emul/session';
import type { ShellIdentity } from './emul/facts';

export type { ShellIdentity } from './emul/facts';
export type { EmulatedMachine, ShellOutput, ShellSession } from './emul/session';
export { createMachine } from './emul/session';
export { shellLimits } from './emul/limits';

export type ShellReply = Readonly<{ output: string; code: number; exit: boolean }>;

export function homeOf(user: string): string {
  return user === 'root' ? '/root' : `/home/${user}`;
}

export function promptOf(id: ShellIdentity): string {
  const short = id.hostname.split('.')[0] ?? id.hostname;
  return `${id.user}@${short}:~${id.user === 'root' ? '#' : '$'} `;
}

/** All of a line's output as one text (stdout and stderr interleaved, trailing newline cut). */
export function outputText(out: ShellOutput): string {
  return out.chunks
    .map((c) => c.text)
    .join('')
    .replace(/\n$/, '');
}

/** Answers one command line in a fresh session (tests and one-shot callers). */
export function answerCommandLine(
  line: string,
  id: ShellIdentity,
  machine: EmulatedMachine = createMachine(id),
): ShellReply {
  const out = machine.open('exec').run(line);
  return { output: outputText(out), code: out.code, exit: out.exit };
}

import { createMachine, type ShellIdentity } from './fake-shell';
import type { CapturedInteraction } from '../kit/types';

/**
 * The shell after a successful telnet login: a terminal line discipline (the server echoes, as
 * telnetd does with WILL ECHO; erase, ^C, ^D) over the same emulated shell ssh uses.
 */
export const telnetShellLimits = { maxLineBytes: 4096, maxCommands: 500, idleMs: 600_000 } as const;

export type TelnetShellContext = Readonly<{
  src: string;
  session: string;
  identity: ShellIdentity;
  /** Writes to the client as is (text here already has CR LF line ends). */
  write: (data: string | Buffer) => void;
  capture: (interaction: CapturedInteraction) => void;
  /** Hangs up (exit, limits). */
  end: () => void;
}>;

export type TelnetShell = Readonly<{ start: () => void; onByte: (byte: number) => void }>;

export function createTelnetShell(ctx: TelnetShellContext): TelnetShell {
  const shell = createMachine(ctx.identity).open('shell');
  let typed: number[] = [];
  let lastWasCr = false;
  let commands = 0;
  let done = false;
  const write = (text: string) => ctx.write(text.replace(/\r?\n/g, '\r\n'));

  const runLine = (line: string) => {
    commands += 1;
    if (commands > telnetShellLimits.maxCommands) {
      done = true;
      return ctx.end();
    }
    const reply = shell.run(line);
    ctx.capture({
      src: ctx.src,
      kind: 'command',
      data: {
        session: ctx.session,
        user: shell.user().name,
        mode: 'telnet',
        command: line,
        exitCode: reply.code,
        ...(reply.downloads.length ? { downloads: reply.downloads.map((d) => ({ ...d })) } : {}),
        ...(reply.truncated ? { outputTruncated: true } : {}),
      },
    });
    for (const c of reply.chunks) write(c.text);
    if (reply.exit) {
      done = true;
      write('logout\n');
      return ctx.end();
    }
    write(shell.prompt());
  };

  return {
    start: () =>
      write(
        `Linux ${ctx.identity.hostname} ${ctx.identity.kernel} x86_64\n\nLast login: Mon Mar  3 09:14:21 2025 from 10.0.0.23\n${shell.prompt()}`,
      ),
    onByte: (byte) => {
      if (done) return;
      if (byte === 0x0d || byte === 0x0a || byte === 0x00) {
        // CR LF, CR NUL and a bare LF each end one line, as in the login phase.
        if (byte !== 0x0d && lastWasCr) {
          lastWasCr = false;
          return;
        }
        if (byte === 0x00) return;
        lastWasCr = byte === 0x0d;
        write('\n');
        const line = Buffer.from(typed).toString('utf8');
        typed = [];
        return runLine(line);
      }
      lastWasCr = false;
      if (byte === 0x7f || byte === 0x08) {
        if (!typed.length) return;
        while (typed.length && ((typed[typed.length - 1] ?? 0) & 0xc0) === 0x80) typed.pop();
        typed.pop();
        return ctx.write('\b \b');
      }
      if (byte === 0x03) {
        typed = [];
        shell.cancel();
        return write(`^C\n${shell.prompt()}`);
      }
      if (byte === 0x04) {
        if (typed.length === 0) runLine('exit');
        return;
      }
      if (byte < 0x20) return;
      if (typed.length >= telnetShellLimits.maxLineBytes) return; // bash's readline would beep; drop it
      typed.push(byte);
      ctx.write(Buffer.from([byte]));
    },
  };
}

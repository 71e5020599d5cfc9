import { createMachine, type ShellIdentity } from './fake-shell';
import type { CapturedInteraction } from '../kit/types';
import { createPayloadCapture } from './payloads/payload-capture';
import type { Fetcher } from './payloads/fetcher';
import type { Quarantine } from './payloads/quarantine';
import { createCastRecorder } from './cast-recorder';
import { createLineQueue } from './line-queue';

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
  payloads: Readonly<{ quarantine: Promise<Quarantine>; recordings: Promise<Quarantine>; fetcher: Fetcher | null }>;
}>;

export type TelnetShell = Readonly<{
  start: () => void;
  onByte: (byte: number) => void;
  /** The connection closed: sweeps the droppers it wrote into the quarantine. */
  end: () => void;
}>;

export function createTelnetShell(ctx: TelnetShellContext): TelnetShell {
  const machine = createMachine(ctx.identity);
  const shell = machine.open('shell');
  const payloads = createPayloadCapture({
    machine,
    ...ctx.payloads,
    src: ctx.src,
    session: ctx.session,
    user: ctx.identity.user,
    capture: ctx.capture,
    onError: (error) => ctx.capture({ src: ctx.src, kind: 'artifact', data: { session: ctx.session, error } }),
  });
  let typed: number[] = [];
  let lastWasCr = false;
  let commands = 0;
  let done = false;
  const rec = createCastRecorder({
    cols: 80,
    rows: 24,
    term: 'telnet',
    title: `${ctx.identity.user}@${ctx.identity.hostname}`,
  });
  const send = (data: string | Buffer) => {
    rec.output(data);
    ctx.write(data);
  };
  const write = (text: string) => send(text.replace(/\r?\n/g, '\r\n'));

  const runLine = (line: string): boolean => {
    commands += 1;
    if (commands > telnetShellLimits.maxCommands) {
      done = true;
      ctx.end();
      return false;
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
    for (const f of reply.files) void payloads.file(f);
    for (const c of reply.chunks) write(c.text);
    if (reply.exit) {
      done = true;
      write('logout\n');
      ctx.end();
      return false;
    }
    write(shell.prompt());
    return true;
  };
  const enqueue = createLineQueue(payloads, runLine);

  return {
    end: () => {
      void payloads.sessionEnd();
      const cast = rec.finish();
      if (cast) void payloads.recording(cast);
    },
    start: () =>
      write(
        `Linux ${ctx.identity.hostname} ${ctx.identity.kernel} x86_64\n\nLast login: Mon Mar  3 09:14:21 2025 from 10.0.0.23\n${shell.prompt()}`,
      ),
    onByte: (byte) => {
      if (done) return;
      rec.input(Buffer.from([byte]));
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
        return enqueue(line);
      }
      lastWasCr = false;
      if (byte === 0x7f || byte === 0x08) {
        if (!typed.length) return;
        while (typed.length && ((typed[typed.length - 1] ?? 0) & 0xc0) === 0x80) typed.pop();
        typed.pop();
        return send('\b \b');
      }
      if (byte === 0x03) {
        typed = [];
        shell.cancel();
        return write(`^C\n${shell.prompt()}`);
      }
      if (byte === 0x04) {
        if (typed.length === 0) enqueue('exit');
        return;
      }
      if (byte < 0x20) return;
      if (typed.length >= telnetShellLimits.maxLineBytes) return; // bash's readline would beep; drop it
      typed.push(byte);
      send(Buffer.from([byte]));
    },
  };
}

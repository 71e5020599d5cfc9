import type ssh2 from 'ssh2';
import { createMachine, type ShellIdentity, type ShellOutput, type ShellSession } from './fake-shell';
import { createLineReader } from '../kit/line-reader';
import type { CapturedInteraction } from '../kit/types';
import { createPayloadCapture, type PayloadCapture } from './payloads/payload-capture';
import type { Fetcher } from './payloads/fetcher';
import type { Quarantine } from './payloads/quarantine';
import { createCastRecorder, type CastRecorder } from './cast-recorder';
import { createLineQueue } from './line-queue';
import { scpSinkTarget, serveScpSink } from './scp-sink';
import { newUploadBudget, serveSftp } from './sftp-server';

/** Bounds of one authenticated SSH connection. */
export const sshSessionLimits = { maxLineBytes: 4096, maxCommands: 500, maxChannels: 10 } as const;

export type SshSessionContext = Readonly<{
  src: string;
  session: string;
  identity: ShellIdentity;
  capture: (interaction: CapturedInteraction) => void;
  /** Ends the whole connection (limits reached, malformed input). */
  end: () => void;
  /** The decky's quarantine and, when it really fetches, the fetcher. */
  payloads: Readonly<{ quarantine: Promise<Quarantine>; recordings: Promise<Quarantine>; fetcher: Fetcher | null }>;
}>;

const CTRL_C = 0x03;
const CTRL_D = 0x04;
const BACKSPACE = 0x08;
const DEL = 0x7f;

/**
 * Serves the channels of an authenticated connection: shell and exec get the emulated shell, sftp
 * and `scp -t` write into its fake filesystem (each upload captured), every forwarding, other
 * subsystem and agent request is refused, and each request is recorded.
 */
export function serveAuthenticated(client: ssh2.Connection, ctx: SshSessionContext): void {
  let channels = 0;
  let commands = 0;
  // One emulated machine per connection: its channels share the fake filesystem and crontabs.
  const machine = createMachine({ ...ctx.identity, from: ctx.identity.from ?? ctx.src });
  const record = (data: Record<string, unknown>) =>
    ctx.capture({ src: ctx.src, kind: 'command', data: { session: ctx.session, user: ctx.identity.user, ...data } });
  const payloads = createPayloadCapture({
    machine,
    ...ctx.payloads,
    src: ctx.src,
    session: ctx.session,
    user: ctx.identity.user,
    capture: ctx.capture,
    onError: (error) => ctx.capture({ src: ctx.src, kind: 'artifact', data: { session: ctx.session, error } }),
  });
  const uploads = newUploadBudget();
  // Droppers written with `echo … > f` are swept up when the connection ends.
  client.once('close', () => void payloads.sessionEnd());
  const countCommand = (): boolean => {
    commands += 1;
    if (commands <= sshSessionLimits.maxCommands) return true;
    ctx.end();
    return false;
  };

  client.on('tcpip', (_accept, reject, info) => {
    // Port forwarding would turn the decky into a proxy for the attacker: always refused.
    record({ channel: 'direct-tcpip', destIP: info.destIP, destPort: info.destPort });
    reject();
  });
  client.on('openssh.streamlocal', (_accept, reject, info) => {
    record({ channel: 'streamlocal', socketPath: info.socketPath });
    reject();
  });
  client.on('request', (_accept, reject, name) => {
    record({ globalRequest: name });
    reject?.();
  });

  client.on('session', (accept, reject) => {
    channels += 1;
    if (channels > sshSessionLimits.maxChannels) return reject();
    const session = accept();
    let pty = false;
    let term = { term: 'xterm', cols: 80, rows: 24 };
    let recorder: CastRecorder | null = null;
    session.on('pty', (ok, _no, info) => {
      pty = true;
      term = { term: info.term, cols: info.cols, rows: info.rows };
      record({ request: 'pty', term: info.term, cols: info.cols, rows: info.rows });
      ok?.();
    });
    session.on('env', (ok, _no, info) => {
      record({ request: 'env', key: info.key, value: info.val });
      ok?.();
    });
    session.on('window-change', (ok, _no, info) => {
      recorder?.resize(info.cols, info.rows);
      ok?.();
    });
    session.on('signal', (ok) => ok?.());
    session.on('x11', (_ok, no) => no?.());
    session.on('auth-agent', (_ok, no) => no?.());
    session.on('sftp', (ok) => {
      record({ request: 'subsystem', name: 'sftp' });
      serveSftp(ok(), machine, payloads, record, uploads);
    });
    session.on('subsystem', (_ok, no, info) => {
      record({ request: 'subsystem', name: info.name });
      no();
    });
    session.on('exec', (ok, _no, info) => {
      const stream = ok();
      if (!countCommand()) return;
      const command = info.command.slice(0, sshSessionLimits.maxLineBytes);
      const scpTarget = scpSinkTarget(command);
      if (scpTarget !== null) {
        record({ mode: 'exec', command, scp: 'sink' });
        return serveScpSink(stream, scpTarget, machine, payloads);
      }
      const shell = machine.open('exec');
      createLineQueue(payloads, () => {
        const reply = shell.run(command);
        record({ mode: 'exec', command, ...outcome(reply) });
        keep(payloads, reply);
        for (const c of reply.chunks) (c.fd === 2 ? stream.stderr : stream).write(c.text);
        stream.exit(reply.code);
        stream.end();
        return false;
      })(command);
    });
    session.on('shell', (ok) => {
      const stream = ok();
      // Every interactive session is recorded for replay (#22 item 3); exec channels are not.
      const rec = (recorder = createCastRecorder({ ...term, title: `${ctx.identity.user}@${ctx.identity.hostname}` }));
      stream.once('close', () => {
        const cast = rec.finish();
        if (cast) void payloads.recording(cast);
      });
      runShell(stream, pty, machine.open(pty ? 'shell' : 'exec'), ctx, record, countCommand, payloads, rec);
    });
  });
}

/** Sends what a line's real fetches brought in to the quarantine. */
function keep(payloads: PayloadCapture, reply: ShellOutput): void {
  for (const f of reply.files) void payloads.file(f);
}

/** What the command event adds about the line's result: exit code, fetched URLs. */
function outcome(reply: ShellOutput): Record<string, unknown> {
  return {
    exitCode: reply.code,
    ...(reply.downloads.length
      ? { downloads: reply.downloads.map((d) => ({ tool: d.tool, url: d.url, path: d.path })) }
      : {}),
    ...(reply.truncated ? { outputTruncated: true } : {}),
  };
}

function runShell(
  stream: ssh2.ServerChannel,
  pty: boolean,
  shell: ShellSession,
  ctx: SshSessionContext,
  record: (data: Record<string, unknown>) => void,
  countCommand: () => boolean,
  payloads: PayloadCapture,
  rec: CastRecorder,
): void {
  const nl = pty ? '\r\n' : '\n';
  const send = (data: string | Buffer, fd: 1 | 2 = 1) => {
    rec.output(data);
    (fd === 2 ? stream.stderr : stream).write(data);
  };
  const write = (text: string) => send(text.replace(/\n/g, nl));
  // Without a pty a real bash prints no prompt and does not echo; with one it does both.
  if (pty)
    write(
      `Linux ${ctx.identity.hostname} ${ctx.identity.kernel} x86_64\n\nLast login: Mon Mar  3 09:14:21 2025 from 10.0.0.23\n${shell.prompt()}`,
    );
  const lines = createLineReader({ maxLineBytes: sshSessionLimits.maxLineBytes, crEndsLine: pty });
  // Bytes of the line being typed; decoded as UTF-8 only at Enter so multi-byte input survives.
  let typed: number[] = [];
  let lastWasCr = false;

  const runLine = (line: string): boolean => {
    if (!countCommand()) return false;
    const reply = shell.run(line);
    record({ mode: pty ? 'shell' : 'shell-nopty', command: line, ...outcome(reply) });
    keep(payloads, reply);
    // A terminal shows stdout and stderr interleaved; without a pty they stay separate streams.
    for (const c of reply.chunks) {
      if (pty) write(c.text);
      else send(c.text, c.fd);
    }
    if (reply.exit) {
      if (pty) write('logout\n');
      stream.exit(reply.code);
      stream.end();
      return false;
    }
    if (pty) write(shell.prompt());
    return true;
  };

  let stopped = false;
  const enqueue = createLineQueue(payloads, (line) => {
    if (!runLine(line)) stopped = true;
    return !stopped;
  });

  stream.on('data', (chunk: Buffer) => {
    if (stopped) return;
    rec.input(chunk);
    if (!pty) {
      const { lines: got, overflow } = lines.push(chunk);
      for (const line of got) enqueue(line);
      if (overflow) malformed(ctx, 'command line too long');
      return;
    }
    // Line discipline of a terminal in canonical mode: echo, erase, ^C, ^D.
    for (const byte of chunk) {
      if (byte === 0x0d || byte === 0x0a) {
        if (byte === 0x0a && typed.length === 0 && lastWasCr) {
          lastWasCr = false;
          continue;
        }
        lastWasCr = byte === 0x0d;
        write('\n');
        const line = Buffer.from(typed).toString('utf8');
        typed = [];
        enqueue(line);
        if (stopped) return;
        continue;
      }
      lastWasCr = false;
      if (byte === DEL || byte === BACKSPACE) {
        if (typed.length) {
          // Erase a whole UTF-8 character: drop continuation bytes, then the lead byte.
          while (typed.length && ((typed[typed.length - 1] ?? 0) & 0xc0) === 0x80) typed.pop();
          typed.pop();
          send('\b \b');
        }
      } else if (byte === CTRL_C) {
        typed = [];
        shell.cancel();
        write(`^C\n${shell.prompt()}`);
      } else if (byte === CTRL_D) {
        if (typed.length === 0) {
          enqueue('exit');
          return;
        }
      } else if (byte >= 0x20) {
        typed.push(byte);
        send(Buffer.from([byte]));
        if (typed.length > sshSessionLimits.maxLineBytes) {
          malformed(ctx, 'command line too long');
          return;
        }
      }
    }
  });
  stream.on('error', () => undefined);
}

function malformed(ctx: SshSessionContext, reason: string): void {
  ctx.capture({ src: ctx.src, kind: 'malformed', data: { session: ctx.session, reason } });
  ctx.end();
}

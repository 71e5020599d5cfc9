import type net from 'node:net';
import { fetcherFor, quarantineFor, settlePayloads } from './payloads/service-payloads';
import { deckyHostname, parseUsers, personaBool, personaFor, personaString } from '../kit/persona';
import { createTelnetShell, telnetShellLimits, type TelnetShell } from './telnet-shell';
import { createIacParser, negotiation, telnetOptions, type TelnetEvent } from './telnet-codec';
import { listenTcp, type ConnectionMeta } from '../kit/tcp-listener';
import type { RunningService, ServiceContext, ServiceModule } from '../kit/types';

/**
 * Telnet login honeypot imitating Linux in.telnetd + /bin/login: three tries, then hang up,
 * and login's 60 s timeout. The accounts are the decky's ssh persona `users` (one machine, one
 * /etc/passwd): a right password lands in the same emulated shell ssh uses; with none configured
 * every login fails.
 */
export const telnetLimits = {
  maxLineBytes: 256,
  maxAttempts: 3,
  loginTimeoutMs: 60_000,
  /** How long to wait for the client's answers to the opening DOs before showing the banner. */
  negotiationWaitMs: 8_000,
  maxTelnetEvents: 500,
  maxSubnegotiation: 512,
  /** login(1)'s FAIL_DELAY from Debian's login.defs: "Login incorrect" comes 3 s after the password. */
  failDelayMs: 3_000,
} as const;

/**
 * The opening of netkit/inetutils telnetd: DO TERMINAL-TYPE, DO TSPEED, DO XDISPLOC, DO NEW-ENVIRON.
 * nmap's "Linux telnetd" signature is exactly these twelve bytes and nothing else, so the banner
 * must wait until the client has answered.
 */
export const telnetdOpening = Buffer.concat([
  negotiation('DO', telnetOptions.TTYPE),
  negotiation('DO', telnetOptions.TSPEED),
  negotiation('DO', telnetOptions.XDISPLOC),
  negotiation('DO', telnetOptions.NEW_ENVIRON),
]);

const TTYPE_SEND = Buffer.from([255, 250, telnetOptions.TTYPE, 1, 255, 240]);

function crlf(text: string): string {
  return text.replace(/\r?\n/g, '\r\n');
}

/** Printable rendering of subnegotiation bytes (terminal type, environment) for the record. */
function printable(data: Buffer): string {
  let out = '';
  for (const b of data) out += b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : `\\x${b.toString(16).padStart(2, '0')}`;
  return out.slice(0, 512);
}

async function start(ctx: ServiceContext): Promise<RunningService> {
  const banner = personaString(ctx.persona, 'banner', '');
  const prompt = personaString(ctx.persona, 'prompt', `${deckyHostname(ctx.decky)} login: `);
  const sshPersona = personaFor(ctx.decky, 'ssh');
  const users = parseUsers(personaString(sshPersona, 'users', ''));
  const kernel = personaString(sshPersona, 'kernel', '6.1.0-26-amd64');
  const payloads = {
    quarantine: quarantineFor(ctx.dataDir),
    recordings: quarantineFor(ctx.dataDir, 'recordings'),
    fetcher: fetcherFor(personaBool(ctx.persona, 'fetch', false)),
  };

  const onConnection = (socket: net.Socket, meta: ConnectionMeta) => {
    const { src, session } = meta;
    const iac = createIacParser({ maxSubnegotiation: telnetLimits.maxSubnegotiation });
    const client: { terminal?: string; environ?: string } = {};
    const answered = new Set<string>();
    // 'failing': inside login's FAIL_DELAY, where typed input is dropped as login does.
    let phase: 'negotiating' | 'user' | 'password' | 'failing' | 'shell' | 'done' = 'negotiating';
    let shell: TelnetShell | undefined;
    let echo = true;
    let line: number[] = [];
    let lastWasCr = false;
    let username = '';
    let attempts = 0;
    let events = 0;

    const accepting = () => phase === 'user' || phase === 'password' || phase === 'shell';
    const write = (data: string | Buffer) => {
      if (socket.writable) socket.write(data);
    };
    const hangUp = (text: string) => {
      phase = 'done';
      write(crlf(text));
      socket.end();
      setTimeout(() => socket.destroy(), 5_000).unref();
    };
    const malformed = (reason: string) => {
      ctx.capture({ src, kind: 'malformed', data: { session, reason } });
      phase = 'done';
      socket.destroy();
    };
    const showLogin = () => {
      if (phase !== 'negotiating') return;
      clearTimeout(negotiationTimer);
      write(Buffer.concat([negotiation('WILL', telnetOptions.SGA), negotiation('WILL', telnetOptions.ECHO)]));
      write(crlf(`${banner ? `${banner}\n` : ''}${prompt}`));
      phase = 'user';
    };
    const negotiationTimer = setTimeout(showLogin, telnetLimits.negotiationWaitMs);
    socket.setTimeout(telnetLimits.loginTimeoutMs, () =>
      // Logged in, the idle bound is bash's TMOUT; before, login(1)'s own timeout.
      phase === 'shell'
        ? hangUp('\ntimed out waiting for input: auto-logout\n')
        : hangUp(`\nLogin timed out after ${telnetLimits.loginTimeoutMs / 1000} seconds.\n`),
    );
    socket.once('close', () => clearTimeout(negotiationTimer));

    const onTelnet = (ev: TelnetEvent) => {
      if (ev.type === 'subnegotiation') {
        // TTYPE IS <name> / NEW-ENVIRON IS <vars>: a client's USER variable is worth keeping.
        if (ev.option === telnetOptions.TTYPE && ev.data[0] === 0) client.terminal = printable(ev.data.subarray(1));
        if (ev.option === telnetOptions.NEW_ENVIRON) client.environ = printable(ev.data);
        return;
      }
      if (ev.type !== 'negotiate') return;
      const key = `${ev.verb}:${ev.option}`;
      if (answered.has(key)) return; // answer each request once: no negotiation loops
      answered.add(key);
      if (ev.verb === 'WILL' && ev.option === telnetOptions.TTYPE) write(TTYPE_SEND);
      else if (
        ev.verb === 'WILL' &&
        !(
          [
            telnetOptions.TSPEED,
            telnetOptions.XDISPLOC,
            telnetOptions.NEW_ENVIRON,
            telnetOptions.SGA,
            telnetOptions.NAWS,
          ] as number[]
        ).includes(ev.option)
      )
        write(negotiation('DONT', ev.option));
      else if (ev.verb === 'DO' && ev.option !== telnetOptions.ECHO && ev.option !== telnetOptions.SGA)
        write(negotiation('WONT', ev.option));
      else if (ev.verb === 'DONT' && ev.option === telnetOptions.ECHO) echo = false;
    };

    const onLine = (text: string) => {
      if (phase === 'user') {
        if (text.trim() === '') return write(prompt);
        username = text.slice(0, telnetLimits.maxLineBytes);
        phase = 'password';
        return write('Password: ');
      }
      if (phase !== 'password') return;
      attempts += 1;
      const ok = users.has(username) && users.get(username) === text;
      ctx.capture({
        src,
        kind: 'auth',
        data: { session, method: 'password', username, password: text, attempt: attempts, success: ok, ...client },
      });
      if (ok) {
        phase = 'shell';
        socket.setTimeout(telnetShellLimits.idleMs);
        shell = createTelnetShell({
          src,
          session,
          identity: {
            user: username,
            hostname: deckyHostname(ctx.decky),
            kernel,
            distro: ctx.decky.distro,
            users: [...users.keys()],
            ip: ctx.decky.ip,
            seed: ctx.decky.name,
            from: src,
          },
          write,
          capture: ctx.capture,
          end: () => hangUp(''),
          payloads,
        });
        socket.once('close', () => shell?.end());
        return shell.start();
      }
      phase = 'failing';
      setTimeout(() => {
        if (phase !== 'failing') return;
        if (attempts >= telnetLimits.maxAttempts) return hangUp('\nLogin incorrect\n');
        phase = 'user';
        write(crlf(`\nLogin incorrect\n${prompt}`));
      }, telnetLimits.failDelayMs).unref();
    };

    const onByte = (byte: number) => {
      if (phase === 'shell') return shell?.onByte(byte);
      if (byte === 0x0d || byte === 0x0a || byte === 0x00) {
        // CR LF, CR NUL and bare LF each end one line; the second byte of a pair is swallowed.
        if (byte !== 0x0d && lastWasCr) {
          lastWasCr = false;
          return;
        }
        if (byte === 0x00) return;
        lastWasCr = byte === 0x0d;
        if (phase === 'user' && echo) write('\r\n');
        if (phase === 'password') write('\r\n');
        const text = Buffer.from(line).toString('utf8');
        line = [];
        return onLine(text);
      }
      lastWasCr = false;
      if (byte === 0x7f || byte === 0x08) {
        if (line.length) {
          line.pop();
          if (phase === 'user' && echo) write('\b \b');
        }
        return;
      }
      if (byte < 0x20) return;
      line.push(byte);
      if (phase === 'user' && echo) write(Buffer.from([byte]));
      if (line.length > telnetLimits.maxLineBytes)
        malformed(`input line longer than ${telnetLimits.maxLineBytes} bytes`);
    };

    socket.on('data', (chunk: Buffer) => {
      if (phase === 'done') return;
      const { data, events: evs, malformed: bad } = iac.push(chunk);
      events += evs.length;
      for (const ev of evs) onTelnet(ev);
      if (bad) return malformed(bad);
      if (events > telnetLimits.maxTelnetEvents)
        return malformed(`more than ${telnetLimits.maxTelnetEvents} telnet commands`);
      // Any answer from the client ends the opening negotiation, like telnetd's ttloop.
      if (phase === 'negotiating') showLogin();
      for (const byte of data) {
        // onByte may end the session; a getter defeats TS's stale narrowing of `phase`.
        if (!accepting()) return;
        onByte(byte);
      }
    });
    write(telnetdOpening);
  };

  const listener = await listenTcp({
    host: ctx.host,
    port: ctx.port(23),
    capture: ctx.capture,
    log: ctx.log,
    onConnection,
  });
  return {
    bound: [listener.bound],
    // A session's last captures (its recording, the dropper sweep) are written after its socket
    // closed: the service is closed once they are on disk.
    close: async () => {
      await listener.close();
      await settlePayloads();
    },
  };
}

export const telnetService: ServiceModule = { name: 'telnet', start };

import type net from 'node:net';
import { createLineReader } from '../kit/line-reader';
import { personaBool, personaString } from '../kit/persona';
import { listenTcp, type ConnectionMeta } from '../kit/tcp-listener';
import type { RunningService, ServiceContext, ServiceModule } from '../kit/types';
import { eprtReply, help, portOk, status, type FtpSessionState } from './ftp-replies';

export type { FtpSessionState } from './ftp-replies';

/**
 * FTP control channel (RFC 959) answering like vsftpd with local logins that always fail.
 * Bounds: vsftpd's max_login_fails (3), its idle_session_timeout (300 s), a 512-byte command line
 * and a per-connection command cap.
 */
/** `failedLoginDelayMs`: vsftpd's delay_failed_login (1 s) before "530 Login incorrect." */
export const ftpLimits = {
  maxLineBytes: 512,
  idleMs: 300_000,
  maxCommands: 200,
  maxLoginFails: 3,
  failedLoginDelayMs: 1_000,
} as const;

/** vsftpd's verbs after login; anything else is "500 Unknown command." (before login, all are 530). */
const knownVerbs = new Set(
  'ABOR ACCT ALLO APPE CDUP CWD DELE EPRT EPSV FEAT HELP LIST MDTM MKD MODE NLST NOOP OPTS PASS PASV PBSZ PORT PROT PWD QUIT REIN REST RETR RMD RNFR RNTO SITE SIZE SMNT STAT STOR STOU STRU SYST TYPE USER XCUP XCWD XMKD XPWD XRMD'.split(
    ' ',
  ),
);

// No UTF8 line: vsftpd lists it only with utf8_filesystem=YES, which Debian's config leaves off.
const feat = '211-Features:\r\n EPRT\r\n EPSV\r\n MDTM\r\n PASV\r\n REST STREAM\r\n SIZE\r\n TVFS\r\n211 End';

/** `(vsFTPd 3.0.3)` and `220 (vsFTPd 3.0.3)` both become a valid 220 greeting line. */
export function normaliseFtpBanner(banner: string): string {
  const firstLine = banner.split(/\r?\n/)[0] ?? '';
  return /^220[ -]/.test(firstLine) ? firstLine : `220 ${firstLine}`;
}

export type FtpReply = Readonly<{ reply: string | null; close: boolean }>;

/**
 * The protocol state machine, separate from the socket so that it can be unit tested: given one
 * command line, what to answer and whether to hang up. `onAuth` sees every PASS.
 */
export function ftpAnswer(
  line: string,
  st: FtpSessionState,
  opts: {
    anonymous: boolean;
    onAuth: (user: string, password: string, ok: boolean) => void;
    /** The client's address and the server's client count at connect, for STAT. */
    peer?: string;
    clientCount?: number;
  },
): FtpReply {
  const space = line.indexOf(' ');
  const verb = (space < 0 ? line : line.slice(0, space)).toUpperCase();
  const arg = space < 0 ? '' : line.slice(space + 1);
  const say = (reply: string, close = false): FtpReply => ({ reply, close });
  // vsftpd ignores empty lines (some NAT devices send them); a line of one space is not empty.
  if (line === '') return { reply: null, close: false };
  switch (verb) {
    case 'QUIT':
      return say('221 Goodbye.', true);
    case 'FEAT':
      return say(feat);
    case 'OPTS':
      return say(/^utf8 on$/i.test(arg.trim()) ? '200 Always in UTF8 mode.' : '501 Option not understood.');
    case 'USER':
      // Only anonymous ever logs in, and vsftpd calls that session a guest.
      if (st.loggedIn) return say("530 Can't change from guest user.");
      st.user = arg.slice(0, 256);
      return say('331 Please specify the password.');
    case 'PASS': {
      if (st.loggedIn) return say('230 Already logged in.');
      if (st.user === null) return say('503 Login with USER first.');
      const anon = opts.anonymous && /^(anonymous|ftp)$/i.test(st.user);
      opts.onAuth(st.user, arg.slice(0, 256), anon);
      if (anon) {
        st.loggedIn = true;
        return say('230 Login successful.');
      }
      st.user = null;
      st.loginFails += 1;
      return say('530 Login incorrect.', st.loginFails >= ftpLimits.maxLoginFails);
    }
  }
  // prelogin.c knows only USER, PASS, QUIT, FEAT and OPTS (and AUTH/PBSZ/PROT with ssl_enable).
  if (!st.loggedIn) return say('530 Please login with USER and PASS.');
  if (!knownVerbs.has(verb)) return say('500 Unknown command.');
  // Anonymous session: a read-only, empty root. No data connection is ever opened.
  switch (verb) {
    case 'SYST':
      return say('215 UNIX Type: L8');
    case 'NOOP':
      return say('200 NOOP ok.');
    case 'PWD':
    case 'XPWD':
      return say('257 "/" is the current directory');
    case 'CWD':
    case 'XCWD':
    case 'CDUP':
    case 'XCUP':
      return arg === '' || arg === '/' || verb.endsWith('UP')
        ? say('250 Directory successfully changed.')
        : say('550 Failed to change directory.');
    case 'TYPE': {
      const t = arg.toUpperCase();
      if (t === 'I' || t === 'L8' || t === 'L 8') st.binary = true;
      else if (t === 'A' || t === 'A N') st.binary = false;
      else return say('500 Unrecognised TYPE command.');
      return say(st.binary ? '200 Switching to Binary mode.' : '200 Switching to ASCII mode.');
    }
    case 'HELP':
      return say(help);
    case 'STAT':
      return arg === ''
        ? say(status(st, opts.peer ?? '127.0.0.1', opts.clientCount ?? 1))
        : say('550 Permission denied.');
    case 'SIZE':
      return say('550 Could not get file size.');
    case 'MDTM':
      return say('550 Could not get file modification time.');
    case 'MODE':
      return say(/^s$/i.test(arg) ? '200 Mode set to S.' : '504 Bad MODE command.');
    case 'STRU':
      return say(/^f$/i.test(arg) ? '200 Structure set to F.' : '504 Bad STRU command.');
    case 'REST':
      // vsf_sysutil_a_to_filesize_t: up to 15 digits and nothing else, or 0.
      return say(`350 Restart position accepted (${/^\d{1,15}$/.test(arg) ? BigInt(arg).toString() : '0'}).`);
    case 'ABOR':
      return say('225 No transfer to ABOR.');
    case 'ALLO':
      return say('202 ALLO command ignored.');
    case 'LIST':
    case 'NLST':
    case 'MLSD':
    case 'RETR':
      if (!st.port) return say('425 Use PORT or PASV first.');
      st.port = false;
      return say('425 Failed to establish connection.');
    case 'REIN':
    case 'ACCT':
    case 'SMNT':
      return say(`502 ${verb} not implemented.`);
    case 'EPRT':
      // Unlike PORT, vsftpd takes EPRT even after EPSV ALL.
      return say(eprtReply(arg, opts.peer ?? '127.0.0.1', st));
    case 'PORT':
      if (st.epsvAll) return say('550 Permission denied.');
      st.port = portOk(arg, opts.peer ?? '127.0.0.1');
      return say(st.port ? '200 PORT command successful. Consider using PASV.' : '500 Illegal PORT command.');
    case 'EPSV':
      if (!/^all$/i.test(arg)) return say('550 Permission denied.');
      st.epsvAll = true;
      return say('200 EPSV ALL ok.');
    default:
      return say('550 Permission denied.');
  }
}

async function start(ctx: ServiceContext): Promise<RunningService> {
  const banner = normaliseFtpBanner(personaString(ctx.persona, 'banner', '220 (vsFTPd 3.0.3)'));
  const anonymous = personaBool(ctx.persona, 'anonymous', false);

  let clients = 0;
  const onConnection = (socket: net.Socket, meta: ConnectionMeta) => {
    const { src, session } = meta;
    const clientCount = ++clients;
    // A client that hung up no longer counts, even before our side has finished closing.
    let counted = true;
    const leave = () => {
      if (counted) clients--;
      counted = false;
    };
    socket.once('end', leave);
    socket.once('close', leave);
    const st: FtpSessionState = { user: null, loggedIn: false, loginFails: 0 };
    const lines = createLineReader({ maxLineBytes: ftpLimits.maxLineBytes });
    let commands = 0;
    const send = (text: string) => {
      if (socket.writable) socket.write(text + '\r\n');
    };
    const hangUp = (text?: string) => {
      if (text) send(text);
      socket.end();
      // A peer that never closes its side must not keep the socket half-open.
      setTimeout(() => socket.destroy(), 5_000).unref();
    };
    socket.setTimeout(ftpLimits.idleMs, () => hangUp('421 Timeout.'));
    send(banner);

    // Commands are answered in order; a failed login holds the queue for vsftpd's delay, so a
    // pipelining client sees the same pause a real server gives it.
    const queue: string[] = [];
    let waiting = false;
    const drain = (): void => {
      while (!waiting && queue.length > 0) {
        const line = queue.shift()!;
        if (socket.destroyed || !socket.writable) return;
        commands += 1;
        if (commands > ftpLimits.maxCommands) {
          ctx.capture({
            src,
            kind: 'malformed',
            data: { session, reason: `more than ${ftpLimits.maxCommands} commands` },
          });
          return hangUp('421 Too many commands, closing control connection.');
        }
        const verb = line.split(' ', 1)[0]?.toUpperCase() ?? '';
        if (verb !== 'PASS' && verb !== '')
          ctx.capture({
            src,
            kind: 'command',
            data: { session, verb: verb.slice(0, 16), arg: line.slice(verb.length + 1, verb.length + 1 + 256) },
          });
        const answer = ftpAnswer(line, st, {
          anonymous,
          peer: src,
          clientCount,
          onAuth: (username, password, ok) =>
            ctx.capture({ src, kind: 'auth', data: { session, method: 'password', username, password, success: ok } }),
        });
        const reply = answer.reply;
        if (reply?.startsWith('530 Login incorrect')) {
          waiting = true;
          setTimeout(() => {
            waiting = false;
            if (answer.close) return hangUp(reply);
            send(reply);
            drain();
          }, ftpLimits.failedLoginDelayMs).unref();
          return;
        }
        if (answer.close) return hangUp(reply ?? undefined);
        if (reply) send(reply);
      }
    };

    socket.on('data', (chunk: Buffer) => {
      const { lines: got, overflow } = lines.push(chunk);
      // Bounded: the connection hangs up after maxCommands, so more than that is never queued.
      queue.push(...got.slice(0, Math.max(0, ftpLimits.maxCommands + 1 - queue.length)));
      drain();
      if (overflow) {
        ctx.capture({
          src,
          kind: 'malformed',
          data: { session, reason: `command line longer than ${ftpLimits.maxLineBytes} bytes` },
        });
        hangUp('500 Input line too long.');
      }
    });
  };

  const listener = await listenTcp({
    host: ctx.host,
    port: ctx.port(21),
    capture: ctx.capture,
    log: ctx.log,
    onConnection,
  });
  return { bound: [listener.bound], close: listener.close };
}

export const ftpService: ServiceModule = { name: 'ftp', start };

import { randomBytes } from 'node:crypto';
import { decodeSaslPlain, decodeSaslText, loginChallenges } from './sasl';

/**
 * The SMTP dialogue of a Debian-packaged Postfix (smtpd), as a pure state machine: one input line
 * in, replies and capture events out. The socket side (smtp.ts) owns buffering and TLS.
 */
export const smtpLimits = {
  /** Postfix's line_length_limit is 2048; longer command lines are refused here. */
  maxCommandBytes: 2048,
  /** Longest line accepted while reading DATA before the connection is dropped as malformed. */
  maxLineBytes: 64 * 1024,
  /** Bytes of one message kept for the analyst. */
  maxRecordedBytes: 1024 * 1024,
  /** Advertised SIZE (Postfix default message_size_limit). */
  messageSizeLimit: 10_240_000,
  /** smtpd_hard_error_limit */
  maxErrors: 20,
  /** smtpd_recipient_limit */
  maxRecipients: 1000,
  maxRecordedRecipients: 100,
  maxMessages: 50,
  maxCommands: 500,
  /** smtpd_timeout */
  idleMs: 300_000,
} as const;

export type SmtpConfig = Readonly<{
  hostname: string;
  /** Open relay: every recipient is accepted. */
  relay: boolean;
  /** STARTTLS is offered (a certificate exists). */
  startTls: boolean;
}>;

type AuthStep = { mech: 'PLAIN' | 'LOGIN'; username: string | null };

export type SmtpState = {
  helo: string | null;
  tls: boolean;
  mailFrom: string | null;
  rcpts: string[];
  inData: boolean;
  dataChunks: Buffer[];
  dataBytes: number;
  auth: AuthStep | null;
  errors: number;
  messages: number;
};

export function newSmtpState(tls = false): SmtpState {
  return {
    helo: null,
    tls,
    mailFrom: null,
    rcpts: [],
    inData: false,
    dataChunks: [],
    dataBytes: 0,
    auth: null,
    errors: 0,
    messages: 0,
  };
}

export type SmtpEvent = Readonly<{ kind: 'command' | 'auth'; data: Record<string, unknown> }>;
export type SmtpStep = { replies: string[]; close: boolean; startTls: boolean; events: SmtpEvent[] };

/** Postfix's short queue id: 10 to 12 upper-case hex digits. */
export function postfixQueueId(): string {
  return randomBytes(6)
    .toString('hex')
    .toUpperCase()
    .slice(0, 10 + ((randomBytes(1)[0] ?? 0) % 3));
}

export function ehloLines(cfg: SmtpConfig, st: SmtpState): string[] {
  const caps = ['PIPELINING', `SIZE ${smtpLimits.messageSizeLimit}`, 'VRFY', 'ETRN'];
  if (cfg.startTls && !st.tls) caps.push('STARTTLS');
  caps.push('AUTH PLAIN LOGIN', 'ENHANCEDSTATUSCODES', '8BITMIME', 'DSN', 'SMTPUTF8');
  return [cfg.hostname, ...caps].map((c, i, all) => `250${i === all.length - 1 ? ' ' : '-'}${c}`);
}

/** `<user@example.com> SIZE=12` → `user@example.com`; null on bad syntax. */
export function parsePath(arg: string): string | null {
  const m = /^\s*<([^<>\s]{0,512})>(?:\s.*)?$/.exec(arg) ?? /^\s*([^<>\s]{1,512})(?:\s.*)?$/.exec(arg);
  return m ? (m[1] ?? '') : null;
}

function isLocal(address: string, hostname: string): boolean {
  const at = address.lastIndexOf('@');
  if (at < 0) return true;
  const domain = address.slice(at + 1).toLowerCase();
  const host = hostname.toLowerCase();
  const parent = host.includes('.') ? host.slice(host.indexOf('.') + 1) : host;
  return domain === host || domain === parent || domain === 'localhost' || domain === `localhost.${parent}`;
}

function resetTransaction(st: SmtpState): void {
  st.mailFrom = null;
  st.rcpts = [];
  st.inData = false;
  st.dataChunks = [];
  st.dataBytes = 0;
}

/** The recorded message event once the lone dot arrives. */
function finishData(st: SmtpState, step: SmtpStep): void {
  const tooBig = st.dataBytes > smtpLimits.messageSizeLimit;
  const queueId = postfixQueueId();
  const message = Buffer.concat(st.dataChunks).toString('utf8');
  const subject = /^subject:[ \t]*(.*)$/im.exec(message.slice(0, 64 * 1024))?.[1]?.slice(0, 512) ?? '';
  step.events.push({
    kind: 'command',
    data: {
      verb: 'MESSAGE',
      mailFrom: st.mailFrom ?? '',
      rcptTo: st.rcpts.slice(0, smtpLimits.maxRecordedRecipients),
      rcptCount: st.rcpts.length,
      bytes: st.dataBytes,
      subject,
      message,
      truncated: st.dataBytes > smtpLimits.maxRecordedBytes,
      ...(tooBig ? {} : { queueId }),
    },
  });
  st.messages += 1;
  resetTransaction(st);
  step.replies.push(tooBig ? '552 5.3.4 Error: message file too big' : `250 2.0.0 Ok: queued as ${queueId}`);
}

function dataLine(line: string, st: SmtpState, step: SmtpStep): void {
  if (line === '.') return finishData(st, step);
  // Dot-stuffing (RFC 5321 4.5.2): a leading dot was doubled by the client.
  const text = (line.startsWith('.') ? line.slice(1) : line) + '\r\n';
  const bytes = Buffer.byteLength(text);
  const room = smtpLimits.maxRecordedBytes - st.dataBytes;
  if (room > 0) st.dataChunks.push(Buffer.from(text).subarray(0, room));
  st.dataBytes += bytes;
}

function authLine(line: string, st: SmtpState, step: SmtpStep): void {
  const auth = st.auth;
  if (!auth) return;
  if (line.trim() === '*') {
    st.auth = null;
    step.replies.push('501 5.7.0 Authentication aborted');
    return;
  }
  if (auth.mech === 'PLAIN') {
    st.auth = null;
    const creds = decodeSaslPlain(line);
    if (!creds) return fail(st, step, '501 5.5.2 Cannot decode response');
    step.events.push({
      kind: 'auth',
      data: {
        method: 'AUTH PLAIN',
        username: creds.username,
        password: creds.password,
        ...(creds.authzid ? { authzid: creds.authzid } : {}),
      },
    });
    return fail(st, step, '535 5.7.8 Error: authentication failed: authentication failure');
  }
  const text = decodeSaslText(line);
  if (text === null) {
    st.auth = null;
    return fail(st, step, '501 5.5.2 Cannot decode response');
  }
  if (auth.username === null) {
    auth.username = text;
    step.replies.push(`334 ${loginChallenges.password}`);
    return;
  }
  st.auth = null;
  step.events.push({ kind: 'auth', data: { method: 'AUTH LOGIN', username: auth.username, password: text } });
  fail(st, step, '535 5.7.8 Error: authentication failed: authentication failure');
}

/** An error reply; Postfix hangs up once the hard error limit is reached. */
function fail(st: SmtpState, step: SmtpStep, reply: string, hostname?: string): void {
  st.errors += 1;
  step.replies.push(reply);
  if (st.errors >= smtpLimits.maxErrors && hostname !== undefined) {
    step.replies.push(`421 4.7.0 ${hostname} Error: too many errors`);
    step.close = true;
  }
}

export function smtpLine(line: string, st: SmtpState, cfg: SmtpConfig): SmtpStep {
  const step: SmtpStep = { replies: [], close: false, startTls: false, events: [] };
  if (st.inData) {
    dataLine(line, st, step);
    return step;
  }
  if (st.auth) {
    authLine(line, st, step);
    if (st.errors >= smtpLimits.maxErrors) {
      step.replies.push(`421 4.7.0 ${cfg.hostname} Error: too many errors`);
      step.close = true;
    }
    return step;
  }
  const bad = (reply: string) => {
    fail(st, step, reply, cfg.hostname);
    return step;
  };
  const ok = (...replies: string[]) => {
    step.replies.push(...replies);
    return step;
  };
  if (Buffer.byteLength(line) > smtpLimits.maxCommandBytes) return bad('500 5.5.2 Error: command not recognized');
  const space = line.search(/\s/);
  const verb = (space < 0 ? line : line.slice(0, space)).toUpperCase();
  const arg = space < 0 ? '' : line.slice(space + 1).trim();
  if (verb !== 'AUTH' && verb !== '')
    step.events.push({ kind: 'command', data: { verb: verb.slice(0, 16), arg: arg.slice(0, 512) } });

  switch (verb) {
    case 'EHLO':
    case 'HELO':
      if (!arg) return bad(`501 Syntax: ${verb} hostname`);
      resetTransaction(st);
      st.helo = arg.slice(0, 255);
      return verb === 'EHLO' ? ok(...ehloLines(cfg, st)) : ok(`250 ${cfg.hostname}`);
    case 'STARTTLS':
      if (!cfg.startTls || st.tls) return bad('502 5.5.1 Error: command not implemented');
      if (arg) return bad('501 5.5.4 Syntax: STARTTLS');
      step.startTls = true;
      return ok('220 2.0.0 Ready to start TLS');
    case 'AUTH': {
      if (!st.helo) return bad('503 5.5.1 Error: send HELO/EHLO first');
      if (st.mailFrom !== null) return bad('503 5.5.1 Error: MAIL transaction in progress');
      const [mechRaw = '', initial] = arg.split(/\s+/, 2);
      const mech = mechRaw.toUpperCase();
      step.events.push({ kind: 'command', data: { verb: 'AUTH', arg: mech.slice(0, 32) } });
      if (mech !== 'PLAIN' && mech !== 'LOGIN') {
        if (!mech) return bad('501 5.5.4 Syntax: AUTH mechanism');
        return bad('535 5.7.8 Error: authentication failed: Invalid authentication mechanism');
      }
      st.auth = { mech, username: null };
      if (initial === undefined) return ok(mech === 'PLAIN' ? '334 ' : `334 ${loginChallenges.username}`);
      // "=" is the RFC 4954 spelling of an empty initial response.
      authLine(initial === '=' ? '' : initial, st, step);
      return step;
    }
    case 'MAIL': {
      if (!st.helo) return bad('503 5.5.1 Error: send HELO/EHLO first');
      if (st.mailFrom !== null) return bad('503 5.5.1 Error: nested MAIL command');
      if (st.messages >= smtpLimits.maxMessages) return bad('452 4.3.1 Insufficient system storage');
      const m = /^FROM:\s*(.*)$/i.exec(arg);
      if (!m) return bad('501 5.5.4 Syntax: MAIL FROM:<address>');
      const from = parsePath(m[1] ?? '');
      if (from === null) return bad('501 5.1.7 Bad sender address syntax');
      const size = /\bSIZE=(\d+)/i.exec(m[1] ?? '');
      if (size && Number(size[1]) > smtpLimits.messageSizeLimit)
        return bad('552 5.3.4 Message size exceeds fixed limit');
      st.mailFrom = from;
      return ok('250 2.1.0 Ok');
    }
    case 'RCPT': {
      if (st.mailFrom === null) return bad('503 5.5.1 Error: need MAIL command');
      const m = /^TO:\s*(.*)$/i.exec(arg);
      if (!m) return bad('501 5.5.4 Syntax: RCPT TO:<address>');
      const to = parsePath(m[1] ?? '');
      if (to === null || to === '') return bad('501 5.1.3 Bad recipient address syntax');
      if (st.rcpts.length >= smtpLimits.maxRecipients) return bad('452 4.5.3 Error: too many recipients');
      if (!cfg.relay && !isLocal(to, cfg.hostname)) return bad(`454 4.7.1 <${to}>: Relay access denied`);
      st.rcpts.push(to);
      return ok('250 2.1.5 Ok');
    }
    case 'DATA':
      if (st.mailFrom === null) return bad('503 5.5.1 Error: need RCPT command');
      if (st.rcpts.length === 0) return bad('554 5.5.1 Error: no valid recipients');
      if (arg) return bad('501 5.5.4 Syntax: DATA');
      st.inData = true;
      return ok('354 End data with <CR><LF>.<CR><LF>');
    case 'RSET':
      resetTransaction(st);
      return ok('250 2.0.0 Ok');
    case 'NOOP':
      return ok('250 2.0.0 Ok');
    case 'VRFY':
      if (!arg) return bad('501 5.5.4 Syntax: VRFY address');
      return ok(`252 2.0.0 ${arg.replace(/^<|>$/g, '').slice(0, 256)}`);
    case 'ETRN':
      if (!st.helo) return bad('503 Error: send HELO/EHLO first');
      return bad('458 Unable to queue messages');
    case 'QUIT':
      step.close = true;
      return ok('221 2.0.0 Bye');
    case 'CONNECT':
    case 'GET':
    case 'POST':
      // smtpd_forbidden_commands: a web client or proxy probe talking to the mail port.
      step.close = true;
      return ok('221 2.7.0 Error: I can break rules, too. Goodbye.');
    case '':
      return bad('500 5.5.2 Error: bad syntax');
    default:
      return bad('502 5.5.2 Error: command not recognized');
  }
}

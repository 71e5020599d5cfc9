import { decodeSaslPlain, decodeSaslText, loginChallenges } from './sasl';

/**
 * Dovecot's imap-login (the pre-authentication IMAP4rev1 dialogue) as a pure state machine. Every
 * credential fails; the caller applies Dovecot's auth_failure_delay before the NO is sent.
 */
export const imapLimits = {
  /** imap-login's MAX_IMAP_LINE */
  maxLineBytes: 8192,
  maxLiteralBytes: 8192,
  /** CLIENT_MAX_BAD_COMMANDS in imap-login 2.3: the third bad command gets a BYE instead of a BAD */
  maxBadCommands: 3,
  maxCommands: 200,
  /** CLIENT_LOGIN_IDLE_TIMEOUT_MSECS */
  idleMs: 60_000,
  /** auth_failure_delay default */
  authFailureDelayMs: 2_000,
} as const;

export type ImapConfig = Readonly<{ greetingText: string; startTls: boolean }>;

export type ImapState = {
  tls: boolean;
  bad: number;
  /** An AUTHENTICATE waiting for its continuation lines. */
  auth: { tag: string; mech: 'PLAIN' | 'LOGIN'; username: string | null } | null;
  /** A command whose literal ({n}) is still arriving. */
  partial: { text: string; need: number } | null;
};

export function newImapState(tls = false): ImapState {
  return { tls, bad: 0, auth: null, partial: null };
}

export type ImapEvent = Readonly<{ kind: 'command' | 'auth'; data: Record<string, unknown> }>;
export type ImapStep = { replies: string[]; delayed: string[]; close: boolean; startTls: boolean; events: ImapEvent[] };

export function imapCapabilities(cfg: ImapConfig, st: ImapState): string {
  return [
    'IMAP4rev1',
    'SASL-IR',
    'LOGIN-REFERRALS',
    'ID',
    'ENABLE',
    'IDLE',
    'LITERAL+',
    ...(cfg.startTls && !st.tls ? ['STARTTLS'] : []),
    'AUTH=PLAIN',
    'AUTH=LOGIN',
  ].join(' ');
}

export function imapGreeting(cfg: ImapConfig, st: ImapState): string {
  return `* OK [CAPABILITY ${imapCapabilities(cfg, st)}] ${cfg.greetingText}`;
}

/**
 * IMAP arguments: atoms, "quoted strings" (with \\ escapes), {n} literals (their bytes already
 * inlined after CRLF) and NIL. Parenthesised lists are returned as raw text. Null on bad syntax.
 */
export function tokenizeImap(text: string): string[] | null {
  const out: string[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (c === ' ') {
      i += 1;
      continue;
    }
    if (c === '"') {
      let v = '';
      i += 1;
      for (;;) {
        if (i >= text.length) return null;
        const ch = text[i] as string;
        if (ch === '\\' && i + 1 < text.length) {
          v += text[i + 1];
          i += 2;
        } else if (ch === '"') {
          i += 1;
          break;
        } else {
          v += ch;
          i += 1;
        }
      }
      out.push(v);
      continue;
    }
    const lit = /^\{(\d{1,5})\+?\}\r\n/.exec(text.slice(i, i + 12));
    if (lit) {
      const n = Number(lit[1]);
      const start = i + lit[0].length;
      const bytes = Buffer.from(text.slice(start), 'utf8');
      if (bytes.length < n) return null;
      const value = bytes.subarray(0, n).toString('utf8');
      out.push(value);
      i = start + value.length;
      continue;
    }
    if (c === '(') {
      const end = text.indexOf(')', i);
      if (end < 0) return null;
      out.push(text.slice(i, end + 1));
      i = end + 1;
      continue;
    }
    let j = i;
    while (j < text.length && text[j] !== ' ') j += 1;
    out.push(text.slice(i, j));
    i = j;
  }
  return out;
}

const authFailed = (tag: string) => `${tag} NO [AUTHENTICATIONFAILED] Authentication failed.`;
/** ASTRING-CHAR except '+' (imap_parser_is_tag_char): printable ASCII minus SP ( ) { % * " \\. */
const isTag = (tag: string) =>
  tag.length > 0 && [...tag].every((c) => c > ' ' && c < '\x7f' && !'(){%*"\\+'.includes(c));
const badCommand = (tag: string) => `${tag} BAD Error in IMAP command received by server.`;

function authContinue(line: string, st: ImapState, step: ImapStep): void {
  const auth = st.auth;
  if (!auth) return;
  if (line.trim() === '*') {
    st.auth = null;
    step.replies.push(`${auth.tag} BAD Authentication aborted by client.`);
    return;
  }
  if (auth.mech === 'PLAIN') {
    st.auth = null;
    const creds = decodeSaslPlain(line);
    if (!creds) {
      step.replies.push(`${auth.tag} BAD Invalid base64 data in continued response`);
      return;
    }
    step.events.push({
      kind: 'auth',
      data: {
        method: 'AUTHENTICATE PLAIN',
        username: creds.username,
        password: creds.password,
        ...(creds.authzid ? { authzid: creds.authzid } : {}),
      },
    });
    step.delayed.push(authFailed(auth.tag));
    return;
  }
  const text = decodeSaslText(line);
  if (text === null) {
    st.auth = null;
    step.replies.push(`${auth.tag} BAD Invalid base64 data in continued response`);
    return;
  }
  if (auth.username === null) {
    auth.username = text;
    step.replies.push(`+ ${loginChallenges.password}`);
    return;
  }
  st.auth = null;
  step.events.push({ kind: 'auth', data: { method: 'AUTHENTICATE LOGIN', username: auth.username, password: text } });
  step.delayed.push(authFailed(auth.tag));
}

export function imapLine(line: string, st: ImapState, cfg: ImapConfig): ImapStep {
  const step: ImapStep = { replies: [], delayed: [], close: false, startTls: false, events: [] };
  if (st.auth) {
    authContinue(line, st, step);
    return step;
  }
  let text = line;
  if (st.partial) {
    // Inside a literal: the line (and its CRLF) belongs to the command being assembled.
    const p = st.partial;
    text = `${p.text}\r\n${line}`;
    const got = Buffer.byteLength(line) + 2;
    if (got < p.need) {
      st.partial = { text, need: p.need - got };
      return step;
    }
    st.partial = null;
  }
  if (Buffer.byteLength(text) > 4 * imapLimits.maxLiteralBytes) {
    step.replies.push('* BYE Too long command.');
    step.close = true;
    return step;
  }
  const lit = /\{(\d{1,6})(\+?)\}$/.exec(text);
  if (lit) {
    const n = Number(lit[1]);
    const tag = text.split(' ', 1)[0] ?? '*';
    if (n > imapLimits.maxLiteralBytes) {
      step.replies.push(`${tag} BAD Error in IMAP command received by server.`);
      step.close = true;
      return step;
    }
    st.partial = { text, need: n };
    if (!lit[2]) step.replies.push('+ OK');
    // A zero-length literal is complete at once; anything else waits for more lines.
    if (n > 0) return step;
    st.partial = null;
  }
  return imapCommand(text, st, cfg, step);
}

/**
 * imap-login rejects a tag as soon as it reads a byte that cannot be in one, before the end of the
 * line (binary probes without a LF get their `* BAD` at once), then skips the rest of that line.
 * True when `pending` (an unfinished line, not inside a literal) is such a line.
 */
export function imapTagRejected(pending: Buffer, st: ImapState): boolean {
  if (st.partial || st.auth) return false;
  // The tag ends at a space or at the CR of a CR LF still on its way.
  const end = pending.findIndex((b) => b === 0x20 || b === 0x0d);
  const tag = (end < 0 ? pending : pending.subarray(0, end)).toString('latin1');
  return tag.length > 0 ? !isTag(tag) : end === 0 && pending[0] === 0x20;
}

/** The reply to a rejected unfinished line (see imapTagRejected). */
export function imapRejectPartial(st: ImapState): ImapStep {
  return imapCommand(
    ' ',
    st,
    { greetingText: '', startTls: false },
    { replies: [], events: [], delayed: [], close: false, startTls: false },
  );
}

function imapCommand(text: string, st: ImapState, cfg: ImapConfig, step: ImapStep): ImapStep {
  const bad = (reply: string) => {
    st.bad += 1;
    if (st.bad >= imapLimits.maxBadCommands) {
      step.replies.push('* BYE Too many invalid IMAP commands.');
      step.close = true;
    } else step.replies.push(reply);
    return step;
  };
  // As imap-login parses: the tag runs to the first space; a tag with a non tag-char (or an empty
  // line) is answered untagged so an HTTP client never sees its own text echoed; a valid tag with
  // a missing or unknown command gets a tagged BAD (nmap names Dovecot from `GET BAD ...`).
  const sp = text.indexOf(' ');
  const tag = sp < 0 ? text : text.slice(0, sp);
  if (!isTag(tag)) return bad('* BAD Error in IMAP command received by server.');
  const m = /^([A-Za-z]{1,32})(?: (.*))?$/s.exec(sp < 0 ? '' : text.slice(sp + 1));
  if (!m) return bad(badCommand(tag));
  const command = (m[1] as string).toUpperCase();
  const rest = m[2] ?? '';
  const args = tokenizeImap(rest);
  if (command !== 'LOGIN' && command !== 'AUTHENTICATE')
    step.events.push({ kind: 'command', data: { tag: tag.slice(0, 64), verb: command, arg: rest.slice(0, 512) } });
  if (!args) return bad(badCommand(tag));
  switch (command) {
    case 'CAPABILITY':
      step.replies.push(
        `* CAPABILITY ${imapCapabilities(cfg, st)}`,
        `${tag} OK Pre-login capabilities listed, post-login capabilities have more.`,
      );
      return step;
    case 'NOOP':
      step.replies.push(`${tag} OK NOOP completed.`);
      return step;
    case 'LOGOUT':
      step.replies.push('* BYE Logging out', `${tag} OK Logout completed.`);
      step.close = true;
      return step;
    case 'ID':
      step.events.push({ kind: 'command', data: { verb: 'ID', clientId: rest.slice(0, 512) } });
      step.replies.push('* ID ("name" "Dovecot")', `${tag} OK ID completed.`);
      return step;
    case 'ENABLE':
      step.replies.push(`${tag} OK ENABLE ignored in non-authenticated state.`);
      return step;
    case 'STARTTLS':
      if (st.tls || !cfg.startTls) return bad(`${tag} BAD TLS is already active.`);
      step.replies.push(`${tag} OK Begin TLS negotiation now.`);
      step.startTls = true;
      return step;
    case 'LOGIN': {
      const [username, password] = args;
      step.events.push({
        kind: 'command',
        data: { tag: tag.slice(0, 64), verb: 'LOGIN', arg: (username ?? '').slice(0, 256) },
      });
      if (username === undefined || password === undefined) return bad(`${tag} BAD Missing arguments.`);
      step.events.push({
        kind: 'auth',
        data: { method: 'LOGIN', username: username.slice(0, 1024), password: password.slice(0, 1024) },
      });
      step.delayed.push(authFailed(tag));
      return step;
    }
    case 'AUTHENTICATE': {
      const mech = (args[0] ?? '').toUpperCase();
      step.events.push({
        kind: 'command',
        data: { tag: tag.slice(0, 64), verb: 'AUTHENTICATE', arg: mech.slice(0, 32) },
      });
      if (!mech) return bad(`${tag} BAD Missing arguments.`);
      if (mech !== 'PLAIN' && mech !== 'LOGIN') {
        step.replies.push(`${tag} NO Unsupported authentication mechanism.`);
        return step;
      }
      st.auth = { tag, mech, username: null };
      const initial = args[1];
      if (initial === undefined) {
        step.replies.push(mech === 'PLAIN' ? '+ ' : `+ ${loginChallenges.username}`);
        return step;
      }
      // SASL-IR: "=" is an empty initial response.
      authContinue(initial === '=' ? '' : initial, st, step);
      return step;
    }
    default:
      return bad(badCommand(tag));
  }
}

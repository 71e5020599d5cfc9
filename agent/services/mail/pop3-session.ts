import { decodeSaslPlain, decodeSaslText, loginChallenges } from './sasl';

/** Dovecot's pop3-login (RFC 1939 AUTHORIZATION state plus RFC 2449 CAPA, RFC 5034 AUTH) as a pure state machine. */
export const pop3Limits = {
  maxLineBytes: 4096,
  maxBadCommands: 10,
  maxCommands: 200,
  idleMs: 60_000,
  authFailureDelayMs: 2_000,
} as const;

export type Pop3Config = Readonly<{ startTls: boolean }>;

export type Pop3State = {
  tls: boolean;
  user: string | null;
  bad: number;
  auth: { mech: 'PLAIN' | 'LOGIN'; username: string | null } | null;
};

export function newPop3State(tls = false): Pop3State {
  return { tls, user: null, bad: 0, auth: null };
}

export type Pop3Event = Readonly<{ kind: 'command' | 'auth'; data: Record<string, unknown> }>;
export type Pop3Step = { replies: string[]; delayed: string[]; close: boolean; startTls: boolean; events: Pop3Event[] };

const authFailed = '-ERR [AUTH] Authentication failed.';

export function pop3Capa(cfg: Pop3Config, st: Pop3State): string {
  return [
    '+OK',
    'CAPA',
    'TOP',
    'UIDL',
    'RESP-CODES',
    'PIPELINING',
    'AUTH-RESP-CODE',
    ...(cfg.startTls && !st.tls ? ['STLS'] : []),
    'USER',
    'SASL PLAIN LOGIN',
    '.',
  ].join('\r\n');
}

function authContinue(line: string, st: Pop3State, step: Pop3Step): void {
  const auth = st.auth;
  if (!auth) return;
  if (line.trim() === '*') {
    st.auth = null;
    step.replies.push('-ERR Authentication aborted by client.');
    return;
  }
  const decodedPlain = auth.mech === 'PLAIN' ? decodeSaslPlain(line) : null;
  const decodedText = auth.mech === 'LOGIN' ? decodeSaslText(line) : null;
  if (decodedPlain === null && decodedText === null) {
    st.auth = null;
    step.replies.push('-ERR Invalid base64 data in continued response');
    return;
  }
  if (decodedPlain) {
    st.auth = null;
    step.events.push({
      kind: 'auth',
      data: {
        method: 'AUTH PLAIN',
        username: decodedPlain.username,
        password: decodedPlain.password,
        ...(decodedPlain.authzid ? { authzid: decodedPlain.authzid } : {}),
      },
    });
    step.delayed.push(authFailed);
    return;
  }
  if (auth.username === null) {
    auth.username = decodedText ?? '';
    step.replies.push(`+ ${loginChallenges.password}`);
    return;
  }
  st.auth = null;
  step.events.push({
    kind: 'auth',
    data: { method: 'AUTH LOGIN', username: auth.username, password: decodedText ?? '' },
  });
  step.delayed.push(authFailed);
}

export function pop3Line(line: string, st: Pop3State, cfg: Pop3Config): Pop3Step {
  const step: Pop3Step = { replies: [], delayed: [], close: false, startTls: false, events: [] };
  if (st.auth) {
    authContinue(line, st, step);
    return step;
  }
  const bad = (reply: string) => {
    step.replies.push(reply);
    st.bad += 1;
    if (st.bad >= pop3Limits.maxBadCommands) {
      step.replies.push('-ERR Too many invalid bad commands.');
      step.close = true;
    }
    return step;
  };
  const space = line.indexOf(' ');
  const verb = (space < 0 ? line : line.slice(0, space)).toUpperCase();
  const arg = space < 0 ? '' : line.slice(space + 1);
  if (verb !== 'PASS' && verb !== 'AUTH' && verb !== '')
    step.events.push({ kind: 'command', data: { verb: verb.slice(0, 16), arg: arg.slice(0, 512) } });
  switch (verb) {
    case 'CAPA':
      step.replies.push(pop3Capa(cfg, st));
      return step;
    case 'QUIT':
      step.replies.push('+OK Logging out');
      step.close = true;
      return step;
    case 'NOOP':
      step.replies.push('+OK');
      return step;
    case 'STLS':
      if (st.tls || !cfg.startTls) return bad('-ERR TLS is already active.');
      step.replies.push('+OK Begin TLS negotiation now.');
      step.startTls = true;
      return step;
    case 'USER':
      if (!arg) return bad('-ERR No username given.');
      st.user = arg.slice(0, 1024);
      step.replies.push('+OK');
      return step;
    case 'PASS':
      if (st.user === null) return bad('-ERR No username given.');
      step.events.push({ kind: 'command', data: { verb: 'PASS', arg: '' } });
      step.events.push({
        kind: 'auth',
        data: { method: 'USER/PASS', username: st.user, password: arg.slice(0, 1024) },
      });
      st.user = null;
      step.delayed.push(authFailed);
      return step;
    case 'APOP':
      return bad('-ERR APOP not enabled.');
    case 'AUTH': {
      const [mechRaw = '', initial] = arg.split(/\s+/, 2);
      const mech = mechRaw.toUpperCase();
      step.events.push({ kind: 'command', data: { verb: 'AUTH', arg: mech.slice(0, 32) } });
      if (!mech) {
        step.replies.push('+OK\r\nPLAIN\r\nLOGIN\r\n.');
        return step;
      }
      if (mech !== 'PLAIN' && mech !== 'LOGIN') return bad('-ERR Unsupported authentication mechanism.');
      st.auth = { mech, username: null };
      if (initial === undefined) {
        step.replies.push(mech === 'PLAIN' ? '+ ' : `+ ${loginChallenges.username}`);
        return step;
      }
      authContinue(initial === '=' ? '' : initial, st, step);
      return step;
    }
    case '':
      return bad('-ERR Unknown command.');
    default:
      return bad('-ERR Unknown command.');
  }
}

import { randomBytes, randomInt } from 'node:crypto';

const cpuMicros = () => {
  const u = process.cpuUsage();
  return u.user + u.system;
};

/**
 * SASL binds as Debian's slapd 2.5 answers them with Cyrus SASL and libsasl2-modules (measured):
 * slapd's default sasl-secprops (noplain, noanonymous) hide PLAIN and LOGIN outside TLS and
 * ANONYMOUS always, and no
 * user has a secret, so every exchange that gets that far ends in "user not found".
 */
/** What the root DSE lists; inside TLS the secprops also allow PLAIN and LOGIN. */
export const slapdSaslMechanisms = (tls: boolean): string[] => [...saslMechanisms, ...(tls ? ['PLAIN', 'LOGIN'] : [])];

const saslMechanisms = [
  'SCRAM-SHA-512',
  'SCRAM-SHA-384',
  'SCRAM-SHA-256',
  'SCRAM-SHA-224',
  'SCRAM-SHA-1',
  'DIGEST-MD5',
  'CRAM-MD5',
  'NTLM',
] as const;

export type SaslAnswer = Readonly<{ code: number; diag: string; serverCreds?: Buffer }>;
/** The mechanism (and DIGEST-MD5 nonce) of a bind in progress on this connection. */
export type SaslState = { mech: string; nonce?: string; challenged?: boolean } | null;

const ok = 'SASL(0): successful result: ';
const noSecret: SaslAnswer = { code: 49, diag: 'SASL(-13): user not found: no secret in database' };
const badProtocol = (why: string): SaslAnswer => ({ code: 80, diag: `SASL(-5): bad protocol / cancel: ${why}` });
const noSecurity = 'security flags do not match required';

/** Cyrus' NTLM type-2 message: target name = the upper-cased FQDN, flags 0x00028205, no target info. */
function ntlmChallenge(host: string): Buffer {
  const name = Buffer.from(host.toUpperCase(), 'utf16le');
  const head = Buffer.alloc(48);
  head.write('NTLMSSP\0', 0, 'latin1');
  head.writeUInt32LE(2, 8);
  head.writeUInt16LE(name.length, 12);
  head.writeUInt16LE(name.length, 14);
  head.writeUInt32LE(48, 16);
  head.writeUInt32LE(0x00028205, 20);
  randomBytes(8).copy(head, 24);
  return Buffer.concat([head, name]);
}

/**
 * One BindRequest with SASL credentials. `fqdn` is slapd's host name (Cyrus' realm and the
 * CRAM-MD5 challenge domain); `state` carries a multi-step bind between requests.
 */
export function slapdSaslBind(
  mechanism: string,
  creds: Buffer | undefined,
  fqdn: string,
  state: SaslState,
  tls: boolean,
): { answer: SaslAnswer; next: SaslState } {
  const mech = mechanism.toUpperCase();
  const progress = (serverCreds: Buffer, next: SaslState) => ({
    answer: { code: 14, diag: ok, serverCreds },
    next,
  });
  // A bind in progress goes on with its own mechanism whatever the next request names (measured).
  if (state?.mech === 'NTLM' && !state.challenged && creds?.length)
    return progress(ntlmChallenge(fqdn), { mech: 'NTLM', challenged: true });
  if (state?.mech === 'LOGIN' && !state.challenged)
    return progress(Buffer.from('Password:'), { mech: 'LOGIN', challenged: true });
  if (state?.mech === 'LOGIN')
    return { answer: { code: 49, diag: 'SASL(-13): user not found: checkpass failed' }, next: null };
  if (state) return { answer: saslStep(state, creds), next: null };
  switch (mech) {
    case 'DIGEST-MD5': {
      // A client's initial response is ignored: DIGEST-MD5 always starts with the server's challenge.
      const nonce = randomBytes(32).toString('base64');
      const challenge = `nonce="${nonce}",realm="${fqdn}",qop="auth,auth-int,auth-conf",cipher="rc4-40,rc4-56,rc4,des,3des",maxbuf=65536,charset=utf-8,algorithm=md5-sess`;
      return progress(Buffer.from(challenge, 'latin1'), { mech, nonce });
    }
    case 'CRAM-MD5':
      if (creds?.length) return { answer: badProtocol('Remote sent first but mech does not allow it.'), next: null };
      // Cyrus' challenge is <random.clock()@host>: the server process's CPU time in µs.
      return progress(Buffer.from(`<${randomInt(2 ** 32)}.${cpuMicros()}@${fqdn}>`), { mech });
    case 'NTLM':
      return creds?.length
        ? progress(ntlmChallenge(fqdn), { mech, challenged: true })
        : progress(Buffer.alloc(0), { mech });
    case 'PLAIN':
    case 'LOGIN':
      if (!tls)
        return {
          answer: { code: 48, diag: `SASL(-16): encryption needed to use mechanism: ${noSecurity}` },
          next: null,
        };
      // Inside TLS the secprops allow them: an empty first step asks for the (rest of the) input.
      if (!creds?.length) return progress(Buffer.from(mech === 'LOGIN' ? 'Username:' : ''), { mech });
      return slapdSaslBind(mech, creds, fqdn, { mech }, tls);
    case 'ANONYMOUS':
      return { answer: { code: 7, diag: `SASL(-4): no mechanism available: ${noSecurity}` }, next: null };
    case 'EXTERNAL':
      return { answer: { code: 7, diag: 'SASL(-4): no mechanism available: ' }, next: null };
    default:
      if (mech.startsWith('SCRAM-') && (saslMechanisms as readonly string[]).includes(mech))
        return creds?.length ? { answer: noSecret, next: null } : progress(Buffer.alloc(0), { mech });
      return {
        answer: { code: 7, diag: `SASL(-4): no mechanism available: Couldn't find mech ${mechanism}` },
        next: null,
      };
  }
}

function saslStep(state: NonNullable<SaslState>, creds: Buffer | undefined): SaslAnswer {
  const text = creds?.toString('latin1') ?? '';
  switch (state.mech) {
    case 'DIGEST-MD5':
      return digestStep2(text, state.nonce ?? '');
    case 'CRAM-MD5':
      return text.includes(' ') ? noSecret : badProtocol('need authentication name');
    case 'PLAIN':
      return text.split('\0').length >= 3
        ? { code: 49, diag: 'SASL(-13): user not found: Password verification failed' }
        : badProtocol('Can only find author (no password)');
    default:
      return noSecret;
  }
}

const authFailure = (why: string): SaslAnswer => ({ code: 49, diag: `SASL(-13): authentication failure: ${why}` });

/** DIGEST-MD5's digest-response checked in Cyrus' order (measured one missing field at a time). */
function digestStep2(text: string, nonce: string): SaslAnswer {
  if (!text) return authFailure('input expected in DIGEST-MD5, step 2');
  const fields = new Map<string, string>();
  for (const part of text.match(/(?:[^,"]|"[^"]*")+/g) ?? []) {
    const eq = part.indexOf('=');
    if (eq < 0) return authFailure('Parse error');
    fields.set(
      part.slice(0, eq).trim().toLowerCase(),
      part
        .slice(eq + 1)
        .trim()
        .replace(/^"(.*)"$/, '$1'),
    );
  }
  const required: [string, string][] = [
    ['username', 'username'],
    ['nonce', 'nonce'],
    ['cnonce', 'cnonce'],
    ['nc', 'noncecount'],
    ['digest-uri', 'digesturi'],
    ['response', 'response'],
  ];
  for (const [field, name] of required)
    if (!fields.has(field)) return authFailure(`required parameters missing: ${name}`);
  return fields.get('nonce') === nonce ? noSecret : authFailure('nonce changed: authentication aborted');
}

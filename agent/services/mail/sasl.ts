/**
 * SASL PLAIN and LOGIN decoding shared by the mail services (SMTP AUTH, IMAP AUTHENTICATE,
 * POP3 AUTH). Pure functions: a decoder never throws, it reports what it could not read.
 */
export const saslMechanisms = ['PLAIN', 'LOGIN'] as const;
export type SaslMechanism = (typeof saslMechanisms)[number];

/** Longest decoded credential kept; real passwords are short, anything longer is an attack payload. */
const maxField = 1024;

/** Strict base64 (RFC 4648 alphabet, optional padding); null when the text is not base64. */
export function decodeBase64(text: string): Buffer | null {
  const t = text.trim();
  if (t.length % 4 === 1 || !/^[A-Za-z0-9+/]*={0,2}$/.test(t)) return null;
  return Buffer.from(t, 'base64');
}

export type PlainCredentials = Readonly<{ authzid: string; username: string; password: string }>;

/** `authzid NUL authcid NUL passwd` (RFC 4616); null when the message is not that shape. */
export function decodeSaslPlain(b64: string): PlainCredentials | null {
  const raw = decodeBase64(b64);
  if (!raw) return null;
  const first = raw.indexOf(0);
  const second = first < 0 ? -1 : raw.indexOf(0, first + 1);
  if (first < 0 || second < 0) return null;
  return {
    authzid: raw.subarray(0, first).toString('utf8').slice(0, maxField),
    username: raw
      .subarray(first + 1, second)
      .toString('utf8')
      .slice(0, maxField),
    password: raw
      .subarray(second + 1)
      .toString('utf8')
      .slice(0, maxField),
  };
}

/** One LOGIN step (a base64 user name or password); null when not base64. */
export function decodeSaslText(b64: string): string | null {
  const raw = decodeBase64(b64);
  return raw ? raw.toString('utf8').slice(0, maxField) : null;
}

/** The LOGIN mechanism's challenges, as every server sends them. */
export const loginChallenges = {
  username: Buffer.from('Username:').toString('base64'),
  password: Buffer.from('Password:').toString('base64'),
} as const;

export function isSaslMechanism(name: string): name is SaslMechanism {
  return (saslMechanisms as readonly string[]).includes(name);
}

/** SIP messages (RFC 3261) as far as a registrar honeypot reads them: bounded, request side only. */
export const sipLimits = { maxMessageBytes: 8_192, maxHeaders: 64, maxHeaderBytes: 1_024 } as const;

export class SipError extends Error {}

export type SipRequest = Readonly<{
  method: string;
  uri: string;
  /** Lower-cased canonical names (compact forms expanded) → values in order. */
  headers: ReadonlyMap<string, readonly string[]>;
  body: Buffer;
}>;

const compact: Record<string, string> = {
  v: 'via',
  f: 'from',
  t: 'to',
  i: 'call-id',
  m: 'contact',
  l: 'content-length',
  c: 'content-type',
  k: 'supported',
  s: 'subject',
};

/** Byte length of the complete message at the start of `buf` (TCP framing), or null if incomplete. */
export function messageLength(buf: Buffer): number | null {
  const end = buf.indexOf('\r\n\r\n');
  if (end < 0) {
    if (buf.length > sipLimits.maxMessageBytes) throw new SipError('header section too long');
    return null;
  }
  const m = /\r\n(?:content-length|l)[ \t]*:[ \t]*(\d+)/i.exec(buf.subarray(0, end + 2).toString('latin1'));
  const bodyLen = m ? Number(m[1]) : 0;
  const total = end + 4 + bodyLen;
  if (total > sipLimits.maxMessageBytes) throw new SipError('message too long');
  return buf.length >= total ? total : null;
}

export function parseRequest(msg: Buffer): SipRequest {
  const end = msg.indexOf('\r\n\r\n');
  const head = (end < 0 ? msg : msg.subarray(0, end)).toString('utf8');
  const lines = head.split('\r\n');
  const first = lines.shift() ?? '';
  const m = /^([A-Za-z]{1,32}) (\S{1,1024}) SIP\/2\.0$/.exec(first);
  if (!m) throw new SipError(first.startsWith('SIP/2.0 ') ? 'response, not a request' : 'bad request line');
  if (lines.length > sipLimits.maxHeaders) throw new SipError('too many headers');
  const headers = new Map<string, string[]>();
  for (const line of lines) {
    if (line.length > sipLimits.maxHeaderBytes) throw new SipError('header line too long');
    const colon = line.indexOf(':');
    if (colon <= 0) throw new SipError('header without a colon');
    const raw = line.slice(0, colon).trim().toLowerCase();
    const name = compact[raw] ?? raw;
    const list = headers.get(name) ?? [];
    list.push(line.slice(colon + 1).trim());
    headers.set(name, list);
  }
  return {
    method: (m[1] ?? '').toUpperCase(),
    uri: m[2] ?? '',
    headers,
    body: end < 0 ? Buffer.alloc(0) : msg.subarray(end + 4, end + 4 + 4096),
  };
}

export function header(req: SipRequest, name: string): string | undefined {
  return req.headers.get(name)?.[0];
}

/** `Digest username="100", realm="asterisk", …` → its parameters (lower-cased keys). */
export function parseDigest(value: string): Record<string, string> | null {
  const m = /^Digest\s+(.*)$/is.exec(value.trim());
  if (!m) return null;
  const out: Record<string, string> = {};
  const re = /([A-Za-z-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]+))/g;
  let p: RegExpExecArray | null;
  while ((p = re.exec(m[1] ?? '')) !== null && Object.keys(out).length < 16)
    out[(p[1] ?? '').toLowerCase()] = (p[2] ?? p[3] ?? '').slice(0, 256);
  return out;
}

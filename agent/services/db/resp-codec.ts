import { ProtocolError } from '../kit/binary-session';

/**
 * RESP2 request parsing (multibulk and inline) and reply encoding. Bounds are far below Redis's
 * (1M elements, 512 MB bulk) but far above what a client sends to a cache it is probing.
 */
export const respLimits = {
  maxArgs: 1024,
  maxBulk: 512 * 1024,
  maxInline: 64 * 1024,
  maxRequest: 1024 * 1024,
} as const;

/** One request at the front of `buf`: its arguments and size, or null while incomplete. */
export function readRespRequest(buf: Buffer): { args: Buffer[]; size: number } | null {
  if (buf[0] === 0x2a) return readMultibulk(buf);
  // Redis finds the line end with strchr: a NUL before the newline hides it, so the request never
  // completes (the connection stays silent until the buffer passes the inline limit).
  const nl = buf.indexOf(0x0a);
  const nul = buf.indexOf(0x00);
  if (nl < 0 || (nul >= 0 && nul < nl)) {
    if (buf.length > respLimits.maxInline) throw new ProtocolError('Protocol error: too big inline request');
    return null;
  }
  const line = buf.subarray(0, nl > 0 && buf[nl - 1] === 0x0d ? nl - 1 : nl);
  return { args: splitInline(line.toString('latin1')).map((a) => Buffer.from(a, 'latin1')), size: nl + 1 };
}

function readLine(buf: Buffer, at: number): { text: string; next: number } | null {
  const cr = buf.indexOf('\r\n', at, 'latin1');
  if (cr < 0) {
    if (buf.length - at > 32) throw new ProtocolError('Protocol error: too big count');
    return null;
  }
  return { text: buf.toString('latin1', at, cr), next: cr + 2 };
}

function readMultibulk(buf: Buffer): { args: Buffer[]; size: number } | null {
  const head = readLine(buf, 1);
  if (!head) return null;
  const n = Number(head.text);
  if (!Number.isInteger(n) || n > respLimits.maxArgs)
    throw new ProtocolError('Protocol error: invalid multibulk length');
  let o = head.next;
  const args: Buffer[] = [];
  for (let i = 0; i < n; i++) {
    if (o >= buf.length) return null;
    if (buf[o] !== 0x24) throw new ProtocolError(`Protocol error: expected '$', got '${String.fromCharCode(buf[o]!)}'`);
    const len = readLine(buf, o + 1);
    if (!len) return null;
    const l = Number(len.text);
    if (!Number.isInteger(l) || l < 0 || l > respLimits.maxBulk)
      throw new ProtocolError('Protocol error: invalid bulk length');
    if (buf.length < len.next + l + 2) return null;
    args.push(buf.subarray(len.next, len.next + l));
    o = len.next + l + 2;
  }
  return { args, size: o };
}

const unbalanced = 'Protocol error: unbalanced quotes in request';
const quotedEscapes: Record<string, string> = { n: '\n', r: '\r', t: '\t', b: '\b', a: '\x07' };
const isSpace = (c: string | undefined) => c !== undefined && ' \t\n\v\f\r'.includes(c);
const isHex = (c: string | undefined) => c !== undefined && /^[0-9a-fA-F]$/.test(c);

/**
 * sdssplitargs on a latin1 line: whitespace separation, "double" quotes with \n \r \t \b \a \xHH
 * escapes, 'single' quotes with \' only; a closing quote followed by a non-space, or an unclosed
 * quote, is Redis's "unbalanced quotes" protocol error.
 */
export function splitInline(line: string): string[] {
  const out: string[] = [];
  let i = 0;
  for (;;) {
    while (isSpace(line[i])) i++;
    if (i >= line.length) return out;
    let cur = '';
    let inq = false;
    let insq = false;
    for (let done = false; !done;) {
      const c = line[i];
      if (inq) {
        if (c === '\\' && line[i + 1] === 'x' && isHex(line[i + 2]) && isHex(line[i + 3])) {
          cur += String.fromCharCode(parseInt(line.slice(i + 2, i + 4), 16));
          i += 3;
        } else if (c === '\\' && i + 1 < line.length) {
          i++;
          cur += quotedEscapes[line[i]!] ?? line[i]!;
        } else if (c === '"') {
          if (i + 1 < line.length && !isSpace(line[i + 1])) throw new ProtocolError(unbalanced);
          done = true;
        } else if (c === undefined) throw new ProtocolError(unbalanced);
        else cur += c;
      } else if (insq) {
        if (c === '\\' && line[i + 1] === "'") {
          i++;
          cur += "'";
        } else if (c === "'") {
          if (i + 1 < line.length && !isSpace(line[i + 1])) throw new ProtocolError(unbalanced);
          done = true;
        } else if (c === undefined) throw new ProtocolError(unbalanced);
        else cur += c;
      } else if (c === undefined || c === ' ' || c === '\n' || c === '\r' || c === '\t') done = true;
      else if (c === '"') inq = true;
      else if (c === "'") insq = true;
      else cur += c;
      if (i < line.length) i++;
    }
    out.push(cur);
    if (out.length > respLimits.maxArgs) throw new ProtocolError('Protocol error: too many inline arguments');
  }
}

export type RespValue =
  | string
  | number
  | null
  | Buffer
  | RespValue[]
  | { simple: string }
  | { error: string; latin1?: boolean }
  /** Flat key/value pairs: a RESP3 map, an array under RESP2. */
  | { map: RespValue[] }
  /** Text for humans (INFO, CLIENT LIST): a RESP3 verbatim string `txt:`, a bulk under RESP2. */
  | { verbatim: string };

/** Encodes a reply in the connection's protocol (HELLO 3 switches it to RESP3). */
export function encodeResp(v: RespValue, proto: 2 | 3 = 2): Buffer {
  if (v === null) return Buffer.from(proto === 3 ? '_\r\n' : '$-1\r\n');
  if (typeof v === 'number') return Buffer.from(`:${v}\r\n`);
  if (typeof v === 'string') return encodeResp(Buffer.from(v, 'utf8'), proto);
  if (Buffer.isBuffer(v)) return Buffer.concat([Buffer.from(`$${v.length}\r\n`), v, Buffer.from('\r\n')]);
  if (Array.isArray(v)) return Buffer.concat([Buffer.from(`*${v.length}\r\n`), ...v.map((x) => encodeResp(x, proto))]);
  if ('map' in v) {
    const head = proto === 3 ? `%${v.map.length / 2}\r\n` : `*${v.map.length}\r\n`;
    return Buffer.concat([Buffer.from(head), ...v.map.map((x) => encodeResp(x, proto))]);
  }
  if ('verbatim' in v) {
    const body = Buffer.from(v.verbatim, 'utf8');
    if (proto === 2) return encodeResp(body);
    return Buffer.concat([Buffer.from(`=${body.length + 4}\r\ntxt:`), body, Buffer.from('\r\n')]);
  }
  if ('simple' in v) return Buffer.from(`+${v.simple}\r\n`);
  // An error echoing the client's bytes (unknown command) carries them as latin1, byte for byte.
  return Buffer.from(`-${v.error}\r\n`, v.latin1 ? 'latin1' : 'utf8');
}

export const ok: RespValue = { simple: 'OK' };
export const err = (error: string): RespValue => ({ error });

type GlobToken = { star: true } | { star: false; test: (c: string) => boolean };

function globTokens(pattern: string): GlobToken[] {
  const out: GlobToken[] = [];
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i]!;
    if (ch === '*') {
      if (!out.at(-1)?.star) out.push({ star: true });
    } else if (ch === '?') out.push({ star: false, test: () => true });
    else if (ch === '[' && pattern.indexOf(']', i + 1) > i) {
      const close = pattern.indexOf(']', i + 1);
      let body = pattern.slice(i + 1, close);
      const negate = body.startsWith('^');
      if (negate) body = body.slice(1);
      const set = body;
      const inSet = (c: string) => {
        for (let k = 0; k < set.length; k++) {
          if (set[k + 1] === '-' && k + 2 < set.length) {
            if (c >= set[k]! && c <= set[k + 2]!) return true;
            k += 2;
          } else if (set[k] === c) return true;
        }
        return false;
      };
      out.push({ star: false, test: (c) => inSet(c) !== negate });
      i = close;
    } else {
      const lit = ch === '\\' && i + 1 < pattern.length ? pattern[++i]! : ch;
      out.push({ star: false, test: (c) => c === lit });
    }
  }
  return out;
}

/**
 * Redis's glob (stringmatchlen) for KEYS and CONFIG GET: * ? [a-z] [^x] and backslash escapes.
 * Matched with the single-backtrack wildcard algorithm: O(pattern × text), no regex blow-up.
 */
export function globMatch(pattern: string, text: string): boolean {
  const toks = globTokens(pattern.slice(0, 256));
  let t = 0;
  let s = 0;
  let starTok = -1;
  let starText = 0;
  while (s < text.length) {
    const tok = toks[t];
    if (tok && !tok.star && tok.test(text[s]!)) {
      t++;
      s++;
    } else if (tok?.star) {
      starTok = t++;
      starText = s;
    } else if (starTok >= 0) {
      t = starTok + 1;
      s = ++starText;
    } else return false;
  }
  while (toks[t]?.star) t++;
  return t === toks.length;
}

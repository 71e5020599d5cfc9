/**
 * Bounded line splitter for text protocols (FTP control channel, telnet login, fake shells).
 * Memory stays within `maxLineBytes` whatever the peer sends: a line longer than that is reported
 * as overflow and the caller closes the connection (and records it as malformed).
 */
export type LineReaderOptions = Readonly<{
  maxLineBytes: number;
  /**
   * Treat a bare CR as end of line and swallow one LF or NUL right after it. Telnet clients in
   * character mode send CR NUL or CR LF for Enter; FTP uses CR LF only, where a bare CR is data.
   */
  crEndsLine?: boolean;
}>;

export type LinePush = Readonly<{ lines: string[]; overflow: boolean }>;

export type LineReader = Readonly<{
  push: (chunk: Uint8Array) => LinePush;
  /** Bytes waiting for their end of line (tests, and "idle with partial input" decisions). */
  pendingBytes: () => number;
  /** The bytes themselves (a protocol that rejects a line before its end, as imap-login does). */
  pending: () => Buffer;
}>;

const LF = 0x0a;
const CR = 0x0d;
const NUL = 0x00;

export function createLineReader(opts: LineReaderOptions): LineReader {
  let pending: Buffer = Buffer.alloc(0);
  // Set after a CR terminator (crEndsLine): a following LF/NUL belongs to the same Enter key.
  let swallowAfterCr = false;
  let overflowed = false;

  const push = (chunk: Uint8Array): LinePush => {
    const lines: string[] = [];
    if (overflowed) return { lines, overflow: true };
    const data = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    let start = 0;
    for (let i = 0; i < data.length; i++) {
      const b = data[i];
      if (swallowAfterCr) {
        swallowAfterCr = false;
        if (b === LF || b === NUL) {
          start = i + 1;
          continue;
        }
      }
      if (b !== LF && !(opts.crEndsLine && b === CR)) continue;
      let line = pending.length ? Buffer.concat([pending, data.subarray(start, i)]) : data.subarray(start, i);
      pending = Buffer.alloc(0);
      start = i + 1;
      if (b === LF && line.length > 0 && line[line.length - 1] === CR) line = line.subarray(0, line.length - 1);
      if (line.length > opts.maxLineBytes) {
        overflowed = true;
        return { lines, overflow: true };
      }
      lines.push(line.toString('utf8'));
      if (b === CR) swallowAfterCr = true;
    }
    const rest = data.subarray(start);
    if (pending.length + rest.length > opts.maxLineBytes + 1) {
      // +1: a line of exactly maxLineBytes may still be waiting for the LF of its CR LF.
      overflowed = true;
      pending = Buffer.alloc(0);
      return { lines, overflow: true };
    }
    if (rest.length) pending = Buffer.concat([pending, rest]);
    return { lines, overflow: false };
  };

  return { push, pendingBytes: () => pending.length, pending: () => pending };
}

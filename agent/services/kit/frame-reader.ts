/**
 * Bounded splitter for length-prefixed binary protocols (SMB session service, TPKT for RDP and
 * S7, Modbus MBAP, DNS over TCP). Memory stays within one maximal frame whatever the peer sends.
 */
export type FrameReaderOptions = Readonly<{
  /** Bytes needed before the frame length is known. */
  headerBytes: number;
  /** Total frame length (header included) from the header, or a reason string when invalid. */
  frameLength: (header: Buffer) => number | string;
  maxFrameBytes: number;
}>;

export type FramePush = Readonly<{ frames: Buffer[]; error: string | null }>;

export type FrameReader = Readonly<{ push: (chunk: Buffer) => FramePush; pendingBytes: () => number }>;

export function createFrameReader(opts: FrameReaderOptions): FrameReader {
  let pending: Buffer = Buffer.alloc(0);
  let failed: string | null = null;
  const push = (chunk: Buffer): FramePush => {
    if (failed) return { frames: [], error: failed };
    pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
    const frames: Buffer[] = [];
    while (pending.length >= opts.headerBytes) {
      const len = opts.frameLength(pending.subarray(0, opts.headerBytes));
      if (typeof len === 'string' || len > opts.maxFrameBytes || len < opts.headerBytes) {
        failed =
          typeof len === 'string' ? len : `frame of ${len} bytes outside [${opts.headerBytes}, ${opts.maxFrameBytes}]`;
        pending = Buffer.alloc(0);
        return { frames, error: failed };
      }
      if (pending.length < len) break;
      frames.push(Buffer.from(pending.subarray(0, len)));
      pending = pending.subarray(len);
    }
    if (pending.length > opts.maxFrameBytes) {
      failed = 'frame too large';
      pending = Buffer.alloc(0);
      return { frames, error: failed };
    }
    // Copy the tail so that the chunk it came from can be garbage collected.
    if (pending.length) pending = Buffer.from(pending);
    return { frames, error: null };
  };
  return { push, pendingBytes: () => pending.length };
}

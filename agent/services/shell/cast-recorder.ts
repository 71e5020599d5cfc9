/**
 * Records one interactive session as an asciinema v2 cast: a JSON header line, then one
 * `[seconds, "o" | "i", text]` line per chunk the terminal showed or the attacker typed. Bounded:
 * past `maxBytes` of lines it stops recording and marks the header's title `(truncated)`, so a
 * `yes` flood cannot grow it.
 */
export const castLimits = { maxBytes: 1024 * 1024, maxEvents: 50_000 } as const;

export type CastRecorder = Readonly<{
  output: (data: string | Buffer) => void;
  input: (data: string | Buffer) => void;
  resize: (cols: number, rows: number) => void;
  /** The cast text, or null when nothing was recorded. */
  finish: () => { cast: string; duration: number; events: number; truncated: boolean } | null;
}>;

export function createCastRecorder(opts: {
  cols: number;
  rows: number;
  term: string;
  title: string;
  now?: () => number;
  maxBytes?: number;
}): CastRecorder {
  const now = opts.now ?? Date.now;
  const start = now();
  const max = opts.maxBytes ?? castLimits.maxBytes;
  const events: [number, string, string][] = [];
  let bytes = 0;
  let truncated = false;
  let last = 0;
  let size = {
    cols: Math.max(1, Math.min(opts.cols || 80, 1000)),
    rows: Math.max(1, Math.min(opts.rows || 24, 1000)),
  };
  const initial = size;
  const push = (code: 'o' | 'i' | 'r', data: string | Buffer) => {
    if (truncated) return;
    const text = typeof data === 'string' ? data : data.toString('utf8');
    if (!text) return;
    // Monotonic, millisecond resolution: what asciinema itself writes.
    last = Math.max(last, Math.round(now() - start) / 1000);
    const cost = JSON.stringify(text).length + 16;
    if (bytes + cost > max || events.length >= castLimits.maxEvents) {
      truncated = true;
      return;
    }
    bytes += cost;
    // Bytes of one instant go in one event (telnet hands the shell one byte at a time).
    const prev = events[events.length - 1];
    if (prev && prev[0] === last && prev[1] === code && code !== 'r') prev[2] += text;
    else events.push([last, code, text]);
  };
  return {
    output: (d) => push('o', d),
    input: (d) => push('i', d),
    resize: (cols, rows) => {
      size = { cols: Math.max(1, Math.min(cols, 1000)), rows: Math.max(1, Math.min(rows, 1000)) };
      push('r', `${size.cols}x${size.rows}`);
    },
    finish: () => {
      if (!events.length) return null;
      const header = {
        version: 2,
        width: initial.cols,
        height: initial.rows,
        timestamp: Math.floor(start / 1000),
        env: { TERM: opts.term.slice(0, 64), SHELL: '/bin/bash' },
        title: `${opts.title}${truncated ? ' (truncated)' : ''}`,
      };
      return {
        cast: `${[header, ...events].map((l) => JSON.stringify(l)).join('\n')}\n`,
        duration: last,
        events: events.length,
        truncated,
      };
    },
  };
}

import net from 'node:net';

/** One raw HTTP answer: status line, headers exactly as sent (name casing and order), body bytes. */
export type RawAnswer = Readonly<{
  status: string;
  headers: Array<[string, string]>;
  body: Buffer;
  closed: boolean;
  raw: Buffer;
}>;

export function parse(raw: Buffer, closed: boolean): RawAnswer {
  const end = raw.indexOf('\r\n\r\n');
  const head = (end < 0 ? raw : raw.subarray(0, end)).toString('latin1').split('\r\n');
  const headers = head.slice(1).map((l): [string, string] => {
    const at = l.indexOf(':');
    return [l.slice(0, at), l.slice(at + 1).trim()];
  });
  return { status: head[0] ?? '', headers, body: end < 0 ? Buffer.alloc(0) : raw.subarray(end + 4), closed, raw };
}

/**
 * Sends `request` as bytes and collects the answer until it is complete (Content-Length reached,
 * no body for HEAD) or the server closes. net.Socket rather than an HTTP client, which would
 * normalise header names and order.
 */
export function exchange(
  host: string,
  request: string | Buffer,
  opts: { head?: boolean; timeoutMs?: number; untilClose?: boolean } = {},
): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const s = net.connect({ host, port: 80 }, () => s.write(request));
    const timer = setTimeout(() => {
      s.destroy();
      reject(new Error(`no complete answer from ${host} within ${opts.timeoutMs ?? 10_000} ms`));
    }, opts.timeoutMs ?? 10_000);
    const done = (closed: boolean) => {
      clearTimeout(timer);
      s.destroy();
      resolve(parse(Buffer.concat(chunks), closed));
    };
    s.on('data', (d: Buffer) => {
      chunks.push(d);
      const all = Buffer.concat(chunks);
      const end = all.indexOf('\r\n\r\n');
      if (end < 0 || opts.untilClose) return;
      const a = parse(all, false);
      const len = a.headers.find(([n]) => n.toLowerCase() === 'content-length');
      if (opts.head ? true : len && a.body.length >= Number(len[1])) done(false);
    });
    s.on('close', () => done(true));
    s.on('error', () => undefined);
  });
}

/** Header values compared by shape only: they carry a time or a file identity. */
const shaped: Readonly<Record<string, RegExp>> = {
  date: /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d\d (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d\d:\d\d:\d\d GMT$/,
  'last-modified':
    /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d\d (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d\d:\d\d:\d\d GMT$/,
};

/** An ETag's shape: Apache's "<size hex>-<mtime µs hex>", nginx's "<mtime s hex>-<size hex>". */
function etagShape(v: string): string {
  return v.replace(/[0-9a-f]+/g, (h) => `hex${h.length > 8 ? 'L' : 'S'}`);
}

/** Apache's Allow order comes from a hash seeded per server start: the same methods, any order. */
const sortedList = (v: string) => v.split(',').sort().join(',');

/** The status lines of every answer on one connection (pipelined requests). */
export function statusLines(a: RawAnswer): string[] {
  return a.raw.toString('latin1').match(/^HTTP\/1\.1 \d{3} [^\r]*/gm) ?? [];
}

/** Every difference between two answers, host names substituted, as readable lines. */
export function differences(real: RawAnswer, ours: RawAnswer, realHost: string, oursHost: string): string[] {
  const out: string[] = [];
  const norm = (s: string, host: string) => s.split(host).join('<host>');
  const rs = norm(real.status, realHost);
  const os = norm(ours.status, oursHost);
  if (rs !== os) out.push(`status: real ${JSON.stringify(rs)} | ours ${JSON.stringify(os)}`);
  const rn = real.headers.map(([n]) => n).join(', ');
  const on = ours.headers.map(([n]) => n).join(', ');
  if (rn !== on) out.push(`header names: real [${rn}] | ours [${on}]`);
  for (const [name, rv] of real.headers) {
    const ov = ours.headers.find(([n]) => n.toLowerCase() === name.toLowerCase())?.[1];
    if (ov === undefined) continue;
    const key = name.toLowerCase();
    const shape = shaped[key];
    const same = shape
      ? shape.test(rv) && shape.test(ov)
      : key === 'etag'
        ? etagShape(rv) === etagShape(ov)
        : key === 'allow'
          ? sortedList(rv) === sortedList(ov)
          : norm(rv, realHost) === norm(ov, oursHost);
    if (!same) out.push(`${name}: real ${JSON.stringify(rv)} | ours ${JSON.stringify(ov)}`);
  }
  const rb = norm(real.body.toString('latin1'), realHost);
  const ob = norm(ours.body.toString('latin1'), oursHost);
  if (rb !== ob) out.push(`body: real ${JSON.stringify(rb)} | ours ${JSON.stringify(ob)}`);
  return out;
}

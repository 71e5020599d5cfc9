import net from 'node:net';
import { probeAnswer, tcpProbes } from './nmap-probes';

export type ProbeDiff = Readonly<{ probe: string; real: string; ours: string }>;

/**
 * Sends every TCP probe nmap may send at `intensity` to both servers and returns the probes whose
 * answers differ (latin1 text, after `normalize` removes what is per-process, e.g. a run id).
 */
export async function probeDiffs(
  realIp: string,
  oursIp: string,
  port: number,
  opts: { intensity?: number; normalize?: (answer: string) => string } = {},
): Promise<ProbeDiff[]> {
  const norm = opts.normalize ?? ((s: string) => s);
  const diffs: ProbeDiff[] = [];
  for (const p of tcpProbes(opts.intensity ?? 7)) {
    const [r, o] = await Promise.all([probeAnswer(realIp, port, p.payload), probeAnswer(oursIp, port, p.payload)]);
    const real = norm(r.toString('latin1'));
    const ours = norm(o.toString('latin1'));
    if (real !== ours) diffs.push({ probe: p.name, real, ours });
  }
  return diffs;
}

/** One line per difference, for the test log. */
export function describeDiffs(what: string, diffs: readonly ProbeDiff[]): string {
  const lines = diffs.map((d) => `${d.probe}: real ${JSON.stringify(d.real)} | ours ${JSON.stringify(d.ours)}`);
  return `${what} probe differences: ${lines.length ? '\n  ' + lines.join('\n  ') : 'none'}`;
}

/** Sends `data` and collects everything until the server closes (or `timeoutMs`: then null). */
export function untilClose(host: string, port: number, data: string, timeoutMs = 15_000): Promise<string | null> {
  return new Promise((resolve) => {
    const s = net.connect({ host, port }, () => s.write(Buffer.from(data, 'latin1')));
    let buf = Buffer.alloc(0);
    const timer = setTimeout(() => {
      s.destroy();
      resolve(null);
    }, timeoutMs);
    s.on('data', (d: Buffer) => (buf = Buffer.concat([buf, d])));
    s.on('error', () => undefined);
    s.on('close', () => {
      clearTimeout(timer);
      resolve(buf.toString('latin1'));
    });
  });
}

/** Each request (one connection each) whose answer differs, as "request: real | ours" lines. */
export async function exchangeDiffs(
  real: string,
  ours: string,
  port: number,
  requests: readonly string[],
  normalize: (answer: string) => string = (s) => s,
): Promise<string[]> {
  const diffs: string[] = [];
  for (const q of requests) {
    const b = Buffer.from(q, 'latin1');
    const [r, o] = await Promise.all([probeAnswer(real, port, b), probeAnswer(ours, port, b)]);
    const [rs, os] = [normalize(r.toString('latin1')), normalize(o.toString('latin1'))];
    if (rs !== os) diffs.push(`${JSON.stringify(q)}: real ${JSON.stringify(rs)} | ours ${JSON.stringify(os)}`);
  }
  return diffs;
}

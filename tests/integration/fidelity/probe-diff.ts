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

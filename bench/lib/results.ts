// One record shape for every benchmark figure. A bench file calls `record()` for each figure it
// prints; when run by `npm run bench` (scripts/bench.mjs) the records are appended as NDJSON to
// the file named by DECNET_BENCH_OUT, and the runner turns them into bench/results/latest.{json,md}.
// DECNET_BENCH_SMOKE=1 asks each bench for tiny sizes, so `npm test` can run the whole suite in a
// few minutes and a benchmark cannot rot unnoticed (the figures of a smoke run mean nothing).
import { appendFileSync } from 'node:fs';

export type BenchRecord = Readonly<{
  /** Stable id of the figure, `<bench>.<figure>`, e.g. `agent.deploy-ack`. */
  name: string;
  /** What was measured, in words: sizes, concurrency, services. */
  workload: string;
  /** Unit of median/p99 (`ms`, `MiB`, `s`) — throughput is always per second. */
  unit: string;
  median?: number;
  p99?: number;
  /** Operations per second, where the figure is a rate. */
  throughput?: number;
  /** Peak RSS of the measured process(es), MiB. */
  peakRssMiB?: number;
  /** The same figure for a peer (a product a user would pick instead), and which one. */
  peer?: Readonly<{ name: string; value: number }>;
  /** ours / peer, for the figure named by `ratioOf` (throughput by default). */
  ratio?: number;
}>;

export const smoke = process.env.DECNET_BENCH_SMOKE === '1';

/** The full size normally, the tiny one in a smoke run. */
export const size = (full: number, tiny: number): number => (smoke ? tiny : full);

/** Nearest-rank percentile (p in 0..100) of an unsorted sample; NaN for an empty one. */
export function percentile(xs: readonly number[], p: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
}

/** This process's peak RSS so far, MiB (getrusage maxrss). */
export const peakRssMiB = (): number => process.resourceUsage().maxRSS / 1024;

const round = (x: number | undefined): number | undefined =>
  x === undefined || !Number.isFinite(x) ? undefined : Number(x.toPrecision(4));

/** Records one figure (rounded to 4 significant digits); a no-op outside the runner. */
export function record(r: BenchRecord): void {
  const out = process.env.DECNET_BENCH_OUT;
  if (!out) return;
  const clean: BenchRecord = {
    ...r,
    median: round(r.median),
    p99: round(r.p99),
    throughput: round(r.throughput),
    peakRssMiB: round(r.peakRssMiB),
    ratio: round(r.ratio),
  };
  appendFileSync(out, `${JSON.stringify(clean)}\n`);
}

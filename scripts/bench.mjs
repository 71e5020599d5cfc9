// Runs the benchmarks under bench/ (never part of npm test) and writes their figures to
// bench/results/latest.json (one record per figure, see bench/lib/results.ts) and latest.md (a
// table), with the machine they ran on. `npm run bench -- <name>` runs the benches whose file name
// contains <name> and replaces only their records. `--smoke` runs every bench at tiny sizes into
// test-results/bench-smoke/ (the npm test smoke run; its figures mean nothing).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    smoke: { type: 'boolean', default: false },
    out: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  },
});
if (values.help) {
  console.log('usage: npm run bench -- [name ...] [--smoke] [--out DIR]');
  console.log('  name     run only the benches whose file name contains it (others keep their records)');
  console.log('  --smoke  tiny sizes, results into test-results/bench-smoke (what npm test runs)');
  console.log('  --out    results folder (default bench/results)');
  process.exit(0);
}
const outDir = values.out ?? (values.smoke ? 'test-results/bench-smoke' : 'bench/results');
const files = readdirSync('bench')
  .filter((f) => f.endsWith('.bench.ts') && (positionals.length === 0 || positionals.some((p) => f.includes(p))))
  .sort();
if (files.length === 0) {
  console.error(`no benchmark matches ${positionals.join(', ')}`);
  process.exit(2);
}
mkdirSync(outDir, { recursive: true });

const machine = {
  cores: os.cpus().length,
  cpu: os.cpus()[0]?.model ?? 'unknown',
  memoryGiB: Number((os.totalmem() / 2 ** 30).toFixed(1)),
  node: process.version,
  kernel: os.release(),
  smoke: values.smoke,
};
const jsonPath = join(outDir, 'latest.json');
const previous = existsSync(jsonPath) && positionals.length > 0 ? JSON.parse(readFileSync(jsonPath, 'utf8')) : null;
const runs = (previous?.runs ?? []).filter((r) => !files.includes(r.file));
let records = (previous?.records ?? []).filter((r) => !files.includes(r.file));
let failed = 0;
// A bench that hangs is killed and named instead of stalling the whole run (and, in a smoke run,
// npm test's own timeout, which would print nothing). A smoke run shares one budget that ends
// well inside the smoke test's 600 s; a full run gives each bench an hour.
const smokeBudgetEnd = Date.now() + 420_000;
const limitMs = () => (values.smoke ? Math.max(5_000, smokeBudgetEnd - Date.now()) : 3_600_000);

for (const f of files) {
  console.log(`\n## ${f}`);
  const ndjson = join(outDir, `.${f}.ndjson`);
  rmSync(ndjson, { force: true });
  const t0 = Date.now();
  const env = {
    ...process.env,
    DECNET_BENCH_OUT: resolve(ndjson),
    ...(values.smoke ? { DECNET_BENCH_SMOKE: '1' } : {}),
  };
  const timeout = limitMs();
  // In a smoke run (npm test, nobody at a terminal) each bench gets its own process group, and
  // whatever it leaves running (a peer daemon of a bench killed at its budget) is killed with it;
  // a full run stays in the terminal's group so Ctrl-C reaches the bench.
  const r = spawnSync(process.execPath, ['--import', 'tsx', `bench/${f}`], {
    stdio: 'inherit',
    env,
    timeout,
    killSignal: 'SIGKILL',
    detached: Boolean(values.smoke),
  });
  if (values.smoke && r.pid) {
    try {
      process.kill(-r.pid, 'SIGKILL');
    } catch {
      // the group is already empty
    }
  }
  const timedOut = r.error?.code === 'ETIMEDOUT';
  const got = existsSync(ndjson)
    ? readFileSync(ndjson, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => ({ file: f, ...JSON.parse(l) }))
    : [];
  rmSync(ndjson, { force: true });
  const ok = r.status === 0 && got.length > 0;
  if (!ok) {
    failed++;
    const why = timedOut
      ? `still running after ${Math.round(timeout / 1000)} s, killed (${got.length} figure(s) recorded before)`
      : r.status !== 0
        ? `exited ${r.status ?? r.signal}`
        : 'recorded no figure';
    console.error(`${f}: ${why}`);
  }
  runs.push({
    file: f,
    ok,
    ...(timedOut ? { timedOut: true } : {}),
    seconds: Math.round((Date.now() - t0) / 1000),
    records: got.length,
  });
  records = records.concat(got);
}

const result = { generatedAt: new Date().toISOString(), machine, runs, records };
writeFileSync(jsonPath, `${JSON.stringify(result, null, 2)}\n`);
writeFileSync(join(outDir, 'latest.md'), markdown(result));
console.log(`\n${records.length} figures from ${runs.length} benches → ${jsonPath}, ${join(outDir, 'latest.md')}`);
process.exit(failed ? 1 : 0);

function markdown({ generatedAt, machine: m, runs: rs, records: recs }) {
  const fmt = (x) => (x === undefined || x === null ? '' : String(x));
  const lines = [
    `# Benchmark results${m.smoke ? ' (smoke run: sizes are tiny, figures mean nothing)' : ''}`,
    '',
    `${generatedAt} · ${m.cores} cores (${m.cpu}) · ${m.memoryGiB} GiB · Node ${m.node} · Linux ${m.kernel}`,
    '',
    '| figure | workload | unit | median | p99 | per s | peak RSS MiB | peer | peer value | ratio |',
    '|---|---|---|---|---|---|---|---|---|---|',
    ...recs.map((r) =>
      [r.name, r.workload, r.unit, r.median, r.p99, r.throughput, r.peakRssMiB, r.peer?.name, r.peer?.value, r.ratio]
        .map(fmt)
        .join(' | ')
        .replace(/^/, '| ')
        .concat(' |'),
    ),
    '',
    '| bench | ok | seconds | figures |',
    '|---|---|---|---|',
    ...rs.map((r) => `| ${r.file} | ${r.ok ? 'yes' : '**no**'} | ${r.seconds} | ${r.records} |`),
    '',
  ];
  return lines.join('\n');
}

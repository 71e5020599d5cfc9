// The benchmark suite at tiny sizes (DECNET_BENCH_SMOKE=1), so a benchmark that stops running or
// stops recording its figures fails npm test instead of rotting until the next `npm run bench`.
// The figures of a smoke run mean nothing; only the shape of the results file is checked.
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { makeTmpDir } from '../../helpers/tmp-dir';

let tmp: Awaited<ReturnType<typeof makeTmpDir>> | undefined;
afterAll(async () => tmp?.remove());

type Results = {
  machine: { cores: number; memoryGiB: number; node: string; smoke: boolean };
  runs: { file: string; ok: boolean; records: number }[];
  records: { file: string; name: string; unit: string; median?: number; throughput?: number }[];
};

describe('npm run bench -- --smoke', () => {
  it(
    'runs every benchmark and records each one’s figures in latest.json and latest.md',
    { timeout: 600_000 },
    async () => {
      tmp = await makeTmpDir('decnet-bench-smoke-');
      const out = join(tmp.dir, 'results');
      const child = spawn(process.execPath, ['scripts/bench.mjs', '--smoke', '--out', out], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let log = '';
      child.stdout.on('data', (d: Buffer) => (log = (log + d.toString()).slice(-20_000)));
      child.stderr.on('data', (d: Buffer) => (log = (log + d.toString()).slice(-20_000)));
      const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
      expect(code, log).toBe(0);

      const results = JSON.parse(readFileSync(join(out, 'latest.json'), 'utf8')) as Results;
      expect(results.machine.smoke).toBe(true);
      expect(results.machine.cores).toBeGreaterThan(0);
      const benches = readdirSync('bench')
        .filter((f) => f.endsWith('.bench.ts'))
        .sort();
      expect(results.runs.map((r) => r.file).sort()).toEqual(benches);
      for (const r of results.runs) expect(r, r.file).toMatchObject({ ok: true });
      for (const rec of results.records) {
        expect(rec.name, JSON.stringify(rec)).toMatch(/^[a-z0-9-]+\.[\w./-]+$/);
        expect(rec.unit.length).toBeGreaterThan(0);
        expect(Number.isFinite(rec.median ?? rec.throughput), rec.name).toBe(true);
      }
      const md = readFileSync(join(out, 'latest.md'), 'utf8');
      for (const rec of results.records) expect(md).toContain(`| ${rec.name} |`);
    },
  );
});

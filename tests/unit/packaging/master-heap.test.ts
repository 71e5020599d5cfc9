// The process embedding the master runs with one V8 old-space cap wherever it is started (design
// §10): the headless CLI's shebang, `npm start` (node and Electron) and the packaged desktop app.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const FLAG = /--max-old-space-size=(\d+)/;
/** The project's own CLI, started through its shebang (a project file, not a Debian program). */
const BIN = 'bin/decnet-master.js';
const capIn = (text: string, where: string): string => {
  const m = FLAG.exec(text);
  if (!m) throw new Error(`${where} passes no --max-old-space-size`);
  return m[1]!;
};

describe('master heap cap', () => {
  const bin = readFileSync(BIN, 'utf8');
  const builder = parse(readFileSync('electron-builder.yml', 'utf8')) as { linux: { executableArgs?: string[] } };

  it('is the same in the CLI shebang, npm start and the packaged desktop entry', () => {
    const cap = capIn(bin.split('\n')[0]!, 'bin/decnet-master.js shebang');
    expect(cap).toBe(capIn(readFileSync('scripts/start.mjs', 'utf8'), 'scripts/start.mjs'));
    expect(builder.linux.executableArgs).toEqual([`--js-flags=--max-old-space-size=${cap}`]);
  });

  it('reaches V8: the shebang line, run as the kernel runs it, gives node that heap limit', () => {
    const out = execFileSync(BIN, ['--version'], { encoding: 'utf8' });
    expect(out).toMatch(/^decnet-master \d/);
    // Linux passes everything after the interpreter as one argument; env -S splits it.
    const line = bin.split('\n')[0]!.slice(2);
    const space = line.indexOf(' ');
    const limitMb = Number(
      execFileSync(
        line.slice(0, space),
        [line.slice(space + 1), '-p', 'require("v8").getHeapStatistics().heap_size_limit / 2 ** 20'],
        { encoding: 'utf8' },
      ),
    );
    // V8 adds its young generation to the old-space cap; without the flag it is ~4 GB here.
    expect(limitMb).toBeGreaterThan(Number(capIn(line, 'shebang')));
    expect(limitMb).toBeLessThan(Number(capIn(line, 'shebang')) * 1.2);
  });
});

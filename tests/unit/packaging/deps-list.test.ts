import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeTmpDir } from '../../helpers/tmp-dir.js';

type Entry = { line: number; package: string; kind: 'bin' | 'perl' | 'python' | 'file'; name: string; client?: string };

const SCRIPT = 'scripts/check-deps.mjs';
const checkDeps = (...args: string[]) => spawnSync(process.execPath, [SCRIPT, ...args], { encoding: 'utf8' });

function listEntries(file?: string): Entry[] {
  const r = checkDeps('--list', ...(file ? ['--file', file] : []));
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  return JSON.parse(r.stdout) as Entry[];
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((d) => d.isFile() && /\.tsx?$/.test(d.name))
    .map((d) => join(d.parentPath, d.name));
}

// The first string-literal argument of every way the tests start a program: child_process calls and
// the suites' own `run(cmd, args)` helpers.
// A method call such as `session.run('ls')` (the emulated shell's) starts nothing: only bare calls count.
const SPAWN_CALL = /(?<![.\w])(?:spawn|spawnSync|execFile|execFileSync|run)\(\s*'([^']+)'/g;
const ABSOLUTE_PROGRAM = /'(\/usr\/s?bin\/[\w.+-]+)'/g;

function programsTestsStart(): Map<string, string> {
  const found = new Map<string, string>();
  const self = basename(import.meta.filename);
  for (const file of [...sourceFiles('tests'), ...sourceFiles('bench')]) {
    if (basename(file) === self) continue;
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(SPAWN_CALL)) found.set(m[1]!, file);
    for (const m of text.matchAll(ABSOLUTE_PROGRAM)) found.set(m[1]!, file);
  }
  return found;
}

describe('.ci/deps.tsv', () => {
  it('parses: every line has a Debian package, a known kind and a valid name', () => {
    const entries = listEntries();
    expect(entries.length).toBeGreaterThan(20);
    for (const e of entries) {
      expect(e.package).toMatch(/^[a-z0-9][a-z0-9+.-]+$/);
      expect(['bin', 'perl', 'python', 'file']).toContain(e.kind);
    }
    // The regression of issue #11: swaks --tls needs Net::SSLeay, only a Recommends of swaks.
    expect(entries).toContainEqual(
      expect.objectContaining({ package: 'libnet-ssleay-perl', kind: 'perl', name: 'Net::SSLeay' }),
    );
  });

  it('lists every program a test or bench starts', () => {
    const entries = listEntries();
    const listed = new Set(
      entries.flatMap((e) => (e.kind === 'bin' ? [e.name] : e.kind === 'file' ? [e.name, basename(e.name)] : [])),
    );
    const started = programsTestsStart();
    // Guard the scan itself: if the regex stopped matching, the test below would pass vacuously.
    expect([...started.keys()]).toEqual(
      expect.arrayContaining(['curl', 'swaks', 'nmap', 'ssh', 'openssl', '/usr/bin/chromium']),
    );
    const unlisted = [...started]
      .filter(([cmd]) => !listed.has(cmd) && !listed.has(basename(cmd)))
      .map(([cmd, file]) => `${cmd} (${file})`);
    expect(unlisted).toEqual([]);
  });
});

describe('check:deps', () => {
  let tmp: { dir: string; remove: () => Promise<void> };
  beforeEach(async () => {
    tmp = await makeTmpDir('decnet-deps-');
  });
  afterEach(() => tmp.remove());

  it('prints one install hint per missing entry and exits 1, naming the client it is for', () => {
    const file = join(tmp.dir, 'deps.tsv');
    writeFileSync(
      file,
      [
        '# test list',
        'coreutils\tbin\tsh',
        'decnet-nope\tbin\tdecnet-no-such-program',
        'libdecnet-nope-perl\tperl\tDecnet::NoSuch\tswaks',
        `decnet-file\tfile\t${join(tmp.dir, 'absent')}`,
        '',
      ].join('\n'),
    );
    const r = checkDeps('--file', file);
    expect(r.status).toBe(1);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toEqual([
      'missing decnet-no-such-program (program): apt-get install decnet-nope',
      "missing swaks's Decnet::NoSuch (perl module): apt-get install libdecnet-nope-perl",
      `missing ${join(tmp.dir, 'absent')} (file): apt-get install decnet-file`,
      'check:deps: 3 of 4 missing; all at once: apt-get install -y decnet-nope libdecnet-nope-perl decnet-file',
    ]);
  });

  it('exits 0 when every entry is present', () => {
    const file = join(tmp.dir, 'deps.tsv');
    writeFileSync(file, `coreutils\tbin\tsh\nperl-base\tperl\tstrict\ndecnet\tfile\t${file}\n`);
    const r = checkDeps('--file', file);
    expect(r.stdout.trim()).toBe('check:deps: all 3 dependencies present');
    expect(r.status).toBe(0);
  });

  it.each([
    ['swaks bin swaks', 'expected 3 or 4 tab-separated columns, got 1'],
    ['swaks\tprogram\tswaks', 'kind "program" is not one of bin|perl|python|file'],
    ['Swaks\tbin\tswaks', '"Swaks" is not a Debian package name'],
    ['perl\tperl\tstrict; system("id")', 'is not a valid perl module name'],
    ['x11\tfile\trelative/path', '"relative/path" is not a valid file name'],
  ])('refuses a bad line %j with one error line naming it (exit 2)', (line, message) => {
    const file = join(tmp.dir, 'deps.tsv');
    writeFileSync(file, `# comment\n${line}\n`);
    const r = checkDeps('--file', file);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain(`${file} line 2: `);
    expect(r.stderr).toContain(message);
  });
});

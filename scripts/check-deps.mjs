// `npm run check:deps`: verifies every line of .ci/deps.tsv (the one list of external programs and
// modules the tests drive) and prints a one-line install hint for each missing one. `.ci/run` runs
// it before `npm test`, so a package that stopped being installed fails visibly instead of as an
// obscure client error deep inside a service test (issue #11: swaks without Net::SSLeay).
//
//   node scripts/check-deps.mjs [--file PATH]          check; exit 0 all present, 1 some missing, 2 bad list
//   node scripts/check-deps.mjs --list [--file PATH]   print the parsed entries as JSON (for the unit test)
//
// No npm dependency: it runs before `npm ci`'s packages matter.
import { spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, readFileSync, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';

const MAX_BYTES = 64 * 1024;
const KINDS = /** @type {const} */ ({ bin: 'program', perl: 'perl module', python: 'python module', file: 'file' });
// Names are passed to perl -M / python -c: allow only what a module or program name can be.
const NAME_RULES = {
  bin: /^[A-Za-z0-9_.+-]+$/,
  perl: /^[A-Za-z_]\w*(::\w+)*$/,
  python: /^[A-Za-z_]\w*(\.\w+)*$/,
  file: /^\/[^\s]+$/,
};
const PACKAGE_RULE = /^[a-z0-9][a-z0-9+.-]+$/;

/** Parses deps.tsv text; throws an Error naming the first bad line. */
export function parseDepsList(text, source = 'deps.tsv') {
  const entries = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.replace(/\r$/, '');
    if (line.trim() === '' || line.startsWith('#')) return;
    const where = `${source} line ${i + 1}`;
    const cols = line.split('\t');
    if (cols.length < 3 || cols.length > 4)
      throw new Error(`${where}: expected 3 or 4 tab-separated columns, got ${cols.length}`);
    const [pkg, kind, name, client] = cols;
    if (!PACKAGE_RULE.test(pkg)) throw new Error(`${where}: "${pkg}" is not a Debian package name`);
    if (!(kind in KINDS)) throw new Error(`${where}: kind "${kind}" is not one of ${Object.keys(KINDS).join('|')}`);
    if (!NAME_RULES[kind].test(name)) throw new Error(`${where}: "${name}" is not a valid ${KINDS[kind]} name`);
    if (client !== undefined && !NAME_RULES.bin.test(client))
      throw new Error(`${where}: "${client}" is not a client name`);
    entries.push({ line: i + 1, package: pkg, kind, name, ...(client ? { client } : {}) });
  });
  if (entries.length === 0) throw new Error(`${source}: no entries`);
  return entries;
}

function onPath(program) {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const p = join(dir, program);
    try {
      accessSync(p, constants.X_OK);
      if (statSync(p).isFile()) return true;
    } catch {
      // not in this directory
    }
  }
  return false;
}

const quiet = { stdio: 'ignore', timeout: 10_000 };
const CHECKS = {
  bin: (name) => onPath(name),
  perl: (name) => spawnSync('perl', [`-M${name}`, '-e1'], quiet).status === 0,
  python: (name) => spawnSync('python3', ['-c', `import ${name}`], quiet).status === 0,
  file: (name) => existsSync(name),
};

export function hint(entry) {
  const what = entry.client ? `${entry.client}'s ${entry.name}` : entry.name;
  return `missing ${what} (${KINDS[entry.kind]}): apt-get install ${entry.package}`;
}

function main(argv) {
  const fileAt = argv.indexOf('--file');
  const file = fileAt >= 0 ? argv[fileAt + 1] : new URL('../.ci/deps.tsv', import.meta.url).pathname;
  let entries;
  try {
    if (!file) throw new Error('--file needs a path');
    if (statSync(file).size > MAX_BYTES) throw new Error(`${file}: larger than ${MAX_BYTES} bytes`);
    entries = parseDepsList(readFileSync(file, 'utf8'), file);
  } catch (err) {
    console.error(`check:deps: ${err instanceof Error ? err.message : String(err)}`);
    return 2;
  }
  if (argv.includes('--list')) {
    console.log(JSON.stringify(entries));
    return 0;
  }
  const missing = entries.filter((e) => !CHECKS[e.kind](e.name));
  for (const e of missing) console.log(hint(e));
  if (missing.length === 0) {
    console.log(`check:deps: all ${entries.length} dependencies present`);
    return 0;
  }
  const pkgs = [...new Set(missing.map((e) => e.package))].join(' ');
  console.log(`check:deps: ${missing.length} of ${entries.length} missing; all at once: apt-get install -y ${pkgs}`);
  return 1;
}

if (import.meta.url === `file://${process.argv[1]}`) process.exitCode = main(process.argv.slice(2));

// Builds dist/decnet-agent-<version>-linux-<arch>.tar.gz: the agent bundled by esbuild (all npm
// dependencies inlined, no source maps), install/uninstall scripts, the systemd unit, a default
// config and SHA256SUMS. Nothing from tests/, no dev dependencies, no keys. Beside it: <tarball>.sha256
// and <tarball>.sig, signed with the console's release key (<DECNET_DATA_DIR>/ca/release.key).
//   node scripts/package-agent.mjs [--version V] [--out DIR]   (V: another release version, e.g. a hotfix)
import { build } from 'esbuild';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  copyFileSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join, relative } from 'node:path';
import { execFileSync } from 'node:child_process';
import { parseArgs } from 'node:util';

const { values: flags } = parseArgs({ options: { version: { type: 'string' }, out: { type: 'string' } } });
const pkg = JSON.parse(readFileSync('package.json', 'utf8'));
if (flags.version) {
  if (!/^[0-9A-Za-z][0-9A-Za-z.+_-]{0,63}$/.test(flags.version)) throw new Error(`bad --version ${flags.version}`);
  pkg.version = flags.version;
}
const outDir = flags.out ?? 'dist';
const arch = { x64: 'x64', arm64: 'arm64' }[process.arch] ?? process.arch;
const name = `decnet-agent-${pkg.version}`;
const stage = join(outDir, 'stage', name);
rmSync(join(outDir, 'stage'), { recursive: true, force: true });
mkdirSync(join(stage, 'lib'), { recursive: true });

// ESM bundle: CommonJS dependencies (ssh2) still use require() and __dirname, so give them both. ssh2's native
// crypto addon is optional and stays out; it falls back to its pure-JS implementation.
const banner = [
  "import { createRequire as __decnetCreateRequire } from 'node:module';",
  "import { fileURLToPath as __decnetFileURLToPath } from 'node:url';",
  "import { dirname as __decnetDirname } from 'node:path';",
  'const require = __decnetCreateRequire(import.meta.url);',
  'const __filename = __decnetFileURLToPath(import.meta.url);',
  'const __dirname = __decnetDirname(__filename);',
].join(' ');
await build({
  entryPoints: {
    cli: 'agent/cli.ts',
    'decky-host': 'agent/runtime/native/decky-host.ts',
    'netns-binder': 'agent/netns-binder.ts',
  },
  outdir: join(stage, 'lib'),
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  external: ['*.node', 'cpu-features'],
  banner: { js: banner },
  legalComments: 'eof',
  minify: true,
  logLevel: 'warning',
  // agent/version.ts inlines package.json's version: --version builds a release under another one.
  plugins: [
    {
      name: 'release-version',
      setup(b) {
        b.onLoad({ filter: /[\\/]package\.json$/ }, (args) =>
          args.path === join(process.cwd(), 'package.json')
            ? { contents: JSON.stringify(pkg), loader: 'json' }
            : undefined,
        );
      },
    },
  ],
});
writeFileSync(join(stage, 'lib', 'package.json'), '{ "type": "module" }\n');

mkdirSync(join(stage, 'bin'));
copyFileSync('assets/agent/decnet-agent.sh', join(stage, 'bin', 'decnet-agent'));
chmodSync(join(stage, 'bin', 'decnet-agent'), 0o755);
for (const f of ['install.sh', 'uninstall.sh']) {
  copyFileSync(join('assets/agent', f), join(stage, f));
  chmodSync(join(stage, f), 0o755);
}
mkdirSync(join(stage, 'systemd'));
for (const unit of ['decnet-agent.service', 'decnet-updater.service'])
  copyFileSync(join('assets/agent', unit), join(stage, 'systemd', unit));
mkdirSync(join(stage, 'etc'));
copyFileSync('assets/agent/agent.env', join(stage, 'etc', 'agent.env'));
writeFileSync(join(stage, 'VERSION'), `${pkg.version}\n`);

const files = [];
const walk = (dir) => {
  for (const e of readdirSync(dir)) {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) walk(p);
    else files.push(relative(stage, p));
  }
};
walk(stage);
const sums = files.sort().map(
  (f) =>
    `${createHash('sha256')
      .update(readFileSync(join(stage, f)))
      .digest('hex')}  ${f}`,
);
writeFileSync(join(stage, 'SHA256SUMS'), sums.join('\n') + '\n');

const out = join(outDir, `${name}-linux-${arch}.tar.gz`);
execFileSync('tar', ['-czf', out, '--owner=0', '--group=0', '-C', join(outDir, 'stage'), name]);
rmSync(join(outDir, 'stage'), { recursive: true, force: true });
const size = statSync(out).size;
console.log(`${out} (${(size / 1024).toFixed(0)} KiB, ${files.length + 1} files)`);
// One signing implementation (main/core/updater/release-key.ts), run through tsx.
execFileSync(process.execPath, ['--import', 'tsx', 'main/cli/sign-release.ts', out], { stdio: 'inherit' });

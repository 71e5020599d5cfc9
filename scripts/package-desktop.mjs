// `npm run package`: builds out/, checks electron-builder.yml against it (every bundle packed, the
// spawned agent scripts and their modules unpacked, the fuses hook loadable), then builds the
// desktop packages with electron-builder. Those need the Electron binary; where it is absent (its
// download is disabled or unreachable, as on CI machines) the check still runs and one line says
// packaging itself was skipped (exit 1). `--check` stops after the check (exit 0 when it passes);
// `--no-build` checks the existing out/ tree.
import { createRequire } from 'node:module';
import { execFileSync } from 'node:child_process';
import { checkDesktopPackage } from './desktop-package-check.mjs';

const require = createRequire(import.meta.url);
const argv = process.argv.slice(2);
const checkOnly = argv.includes('--check');
const noBuild = argv.includes('--no-build');
const builderArgs = argv.filter((a) => a !== '--check' && a !== '--no-build');

let electronPath;
try {
  electronPath = require('electron');
} catch {
  electronPath = null;
}
try {
  if (!noBuild) execFileSync(process.execPath, ['scripts/build.mjs'], { stdio: ['ignore', 'ignore', 'inherit'] });
} catch (err) {
  console.error(`npm run package: the build failed (${err.status ? `status ${err.status}` : err.message})`);
  process.exit(1);
}
const problems = await checkDesktopPackage({ root: process.cwd() });
if (problems.length > 0) {
  console.error(`npm run package: electron-builder.yml does not match the build: ${problems.join('; ')}`);
  process.exit(1);
}
if (checkOnly) {
  console.log(
    'npm run package --check: electron-builder.yml, its files and asarUnpack lists and the afterPack hook match out/',
  );
  process.exit(0);
}
if (typeof electronPath !== 'string') {
  console.error(
    'npm run package: config checked against out/, but the Electron binary is not installed here (its download is disabled or unreachable); build desktop packages on a machine that can install Electron 41.7.1.',
  );
  process.exit(1);
}
try {
  execFileSync(
    process.execPath,
    [require.resolve('electron-builder/cli.js'), '--config', 'electron-builder.yml', ...builderArgs],
    { stdio: 'inherit' },
  );
} catch (err) {
  console.error(`npm run package: ${err.status ? `electron-builder exited with status ${err.status}` : err.message}`);
  process.exit(1);
}

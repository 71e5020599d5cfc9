// `npm run package`: builds the desktop packages with electron-builder. They need the Electron
// binary; where it is absent (its download is disabled or unreachable, as on CI machines) this
// says so in one line and exits non-zero instead of failing deep inside electron-builder.
import { createRequire } from 'node:module';
import { execFileSync } from 'node:child_process';

const require = createRequire(import.meta.url);
let electronPath;
try {
  electronPath = require('electron');
} catch {
  electronPath = null;
}
if (typeof electronPath !== 'string') {
  console.error('npm run package: the Electron binary is not installed here (its download is disabled or unreachable); build desktop packages on a machine that can install Electron 41.7.1.');
  process.exit(1);
}
try {
  execFileSync(process.execPath, ['scripts/build.mjs'], { stdio: 'inherit' });
  execFileSync(process.execPath, [require.resolve('electron-builder/cli.js'), '--config', 'electron-builder.yml', ...process.argv.slice(2)], { stdio: 'inherit' });
} catch (err) {
  console.error(`npm run package: ${err.status ? `electron-builder exited with status ${err.status}` : err.message}`);
  process.exit(1);
}

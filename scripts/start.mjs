// `npm start`: builds, then opens the desktop console where Electron can run. Where it cannot (no
// Electron binary, or no display) it runs the same console headless — the master with its
// embedded local agent, and the web UI on http://127.0.0.1:8000 — and says so in one line.
import { spawn, execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';

// The process that embeds the master gets bin/decnet-master.js's heap cap (why: there, design §10);
// Electron applies --js-flags to its main process only when given at launch.
const MASTER_HEAP = '--max-old-space-size=1024';

execFileSync(process.execPath, ['scripts/build.mjs'], { stdio: 'inherit' });

const reason = electronUnavailable();
const child = reason
  ? (console.log(`Electron is not available here (${reason}): starting the console headless.`),
    // Quiet by default: the console prints its URL and the admin password's location itself.
    spawn(process.execPath, [MASTER_HEAP, 'out/main/cli.js', 'serve', ...process.argv.slice(2)], {
      stdio: 'inherit',
      env: { DECNET_LOG_LEVEL: 'warn', ...process.env },
    }))
  : spawn(createRequire(import.meta.url)('electron'), [`--js-flags=${MASTER_HEAP}`, '.'], { stdio: 'inherit' });

for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => child.kill(sig));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 0 : 1)));

function electronUnavailable() {
  let binary;
  try {
    binary = createRequire(import.meta.url)('electron');
  } catch {
    return 'the Electron binary is not installed';
  }
  if (typeof binary !== 'string') return 'the Electron binary is not installed';
  if (process.platform === 'linux' && !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY) return 'no display';
  return null;
}

import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import { killDeckyHostsUnder } from './decky-hosts';

/**
 * Integration and e2e tests spawn the built CLIs: build them once per run (esbuild, well under a
 * second). The renderer is built by the browser tests that need it.
 */
export function setup(): void {
  // Names this run's processes: the teardown kills only decky hosts this run started, not those of
  // another test run or a benchmark going on at the same time on this machine.
  process.env.DECNET_TEST_RUN ??= randomUUID();
  execFileSync(process.execPath, ['scripts/build.mjs', '--no-renderer'], { stdio: 'inherit' });
}

/**
 * The run ends by killing every decky host still running from a test's temp dir (makeTmpDir's
 * remover already kills those under its dir) and says how many it found: a number above 0 names
 * a test that does not remove its temp dir.
 */
export function teardown(): void {
  const leaked = killDeckyHostsUnder(tmpdir(), process.env.DECNET_TEST_RUN);
  if (leaked.length)
    console.warn(`global teardown: killed ${leaked.length} decky host(s) left by tests: ${leaked.join(', ')}`);
}

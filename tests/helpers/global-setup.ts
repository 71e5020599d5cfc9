import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';

/**
 * Integration and e2e tests spawn the built CLIs: build them once per run (esbuild, well under a
 * second). The renderer is built by the browser tests that need it.
 */
export function setup(): void {
  execFileSync(process.execPath, ['scripts/build.mjs', '--no-renderer'], { stdio: 'inherit' });
}

/**
 * Decky host processes outlive their agent by design (they run in their own session). A test that
 * stops an agent without stopping its deckies would leave them holding 127.x ports and memory after
 * the run, so the run ends by killing every decky host whose hosts dir is a test's temp dir, and
 * says how many it found (a number above 0 names a test that does not clean up after itself).
 */
export function teardown(): void {
  const leaked: string[] = [];
  for (const pid of readdirSync('/proc').filter((e) => /^\d+$/.test(e))) {
    try {
      if (!readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('decky-host')) continue;
      const hostsDir = /(?:^|\0)DECNET_HOSTS_DIR=([^\0]*)/.exec(readFileSync(`/proc/${pid}/environ`, 'utf8'))?.[1];
      if (!hostsDir?.startsWith(tmpdir())) continue;
      process.kill(Number(pid), 'SIGKILL');
      leaked.push(hostsDir);
    } catch {
      continue;
    }
  }
  if (leaked.length)
    console.warn(`global teardown: killed ${leaked.length} decky host(s) left by tests: ${leaked.join(', ')}`);
}

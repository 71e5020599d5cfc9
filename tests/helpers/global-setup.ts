import { execFileSync } from 'node:child_process';

/**
 * Integration and e2e tests spawn the built CLIs: build them once per run (esbuild, well under a
 * second). The renderer is built by the browser tests that need it.
 */
export function setup(): void {
  execFileSync(process.execPath, ['scripts/build.mjs', '--no-renderer'], { stdio: 'inherit' });
}

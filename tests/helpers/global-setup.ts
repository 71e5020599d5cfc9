import { execFileSync } from 'node:child_process';

/** Integration and e2e tests spawn the built CLIs: build them once per run (esbuild, well under a second). */
export function setup(): void {
  execFileSync(process.execPath, ['scripts/build.mjs'], { stdio: 'inherit' });
}

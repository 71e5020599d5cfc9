// `npm run typecheck`: every TypeScript project, two at a time. The node-side folders (shared/node,
// main/core, main/cli.ts, agent) share compiler options, so one program checks them all
// (tsconfig.node.json); the per-folder tsconfigs stay for editors and ESLint. Incremental build
// info under node_modules/.cache makes a re-run check only what changed.
import { spawn } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { createRequire } from 'node:module';

const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const projects = ['tsconfig.tests.json', 'tsconfig.node.json', 'renderer', 'shared', 'main/shell', 'main/preload'];
let failed = 0;
let next = 0;
async function worker() {
  while (next < projects.length) {
    const p = projects[next++];
    const code = await new Promise((resolve) =>
      spawn(
        process.execPath,
        [
          tsc,
          '-p',
          p,
          '--incremental',
          '--tsBuildInfoFile',
          `node_modules/.cache/tsc/${p.replace(/\W+/g, '_')}.tsbuildinfo`,
        ],
        { stdio: 'inherit' },
      ).on('exit', resolve),
    );
    if (code !== 0) {
      failed++;
      console.error(`typecheck: ${p} failed`);
    }
  }
}
await Promise.all(Array.from({ length: Math.min(2, availableParallelism()) }, worker));
process.exit(failed ? 1 : 0);

// Bundles the two Node entry points (master CLI, agent CLI) into out/. Dependencies stay external
// in a repo build; the agent tarball (scripts/package-agent.mjs) bundles them.
import { build } from 'esbuild';

const common = { bundle: true, platform: 'node', target: 'node20', format: 'esm', packages: 'external', sourcemap: 'linked', logLevel: 'warning' };
const entries = [
  { entryPoints: ['agent/cli.ts'], outfile: 'out/agent/cli.js' },
  { entryPoints: ['agent/decky-host.ts'], outfile: 'out/agent/decky-host.js' },
  { entryPoints: ['main/cli.ts'], outfile: 'out/main/cli.js' },
];
const { existsSync } = await import('node:fs');
await Promise.all(entries.filter((e) => existsSync(e.entryPoints[0])).map((e) => build({ ...common, ...e })));

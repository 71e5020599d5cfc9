// Builds out/: the master CLI and the agent (ESM, npm dependencies left external in a repo build;
// the agent tarball, scripts/package-agent.mjs, bundles them), the Electron main (ESM) and
// preload (CJS: sandboxed preloads cannot load ESM), and the renderer with Vite.
import { build } from 'esbuild';
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';

const node = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  packages: 'external',
  sourcemap: 'linked',
  logLevel: 'warning',
};
const entries = [
  { ...node, entryPoints: ['agent/cli.ts'], outfile: 'out/agent/cli.js' },
  { ...node, entryPoints: ['agent/runtime/native/decky-host.ts'], outfile: 'out/agent/decky-host.js' },
  { ...node, entryPoints: ['agent/netns-binder.ts'], outfile: 'out/agent/netns-binder.js' },
  { ...node, entryPoints: ['main/cli.ts'], outfile: 'out/main/cli.js' },
  { ...node, entryPoints: ['main/shell/main.ts'], outfile: 'out/electron/main.js' },
  {
    entryPoints: ['main/preload/index.ts'],
    outfile: 'out/electron/preload.cjs',
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    external: ['electron'],
    logLevel: 'warning',
  },
];
await Promise.all(entries.filter((e) => existsSync(e.entryPoints[0])).map((e) => build(e)));
// The tray icon ships inside the packed out/ tree (electron-builder.yml packs out/** only).
mkdirSync('out/electron', { recursive: true });
copyFileSync('assets/icons/icon.png', 'out/electron/icon.png');

const skipRenderer = process.argv.includes('--no-renderer');
if (!skipRenderer && existsSync('renderer/vite.config.ts')) {
  const { build: viteBuild } = await import('vite');
  await viteBuild({ configFile: 'renderer/vite.config.ts', logLevel: 'warn' });
}

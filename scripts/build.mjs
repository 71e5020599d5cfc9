// Builds out/: the master CLI and the agent (ESM, npm dependencies left external in a repo build;
// the agent tarball, scripts/package-agent.mjs, bundles them), the Electron main (ESM) and
// preload (CJS: sandboxed preloads cannot load ESM), and the renderer with Vite.
import { build } from 'esbuild';
import { copyFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';

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
  // The decky host the docker runtime copies into its image: no node_modules there, so every npm
  // dependency is inlined (as in the agent tarball, whose lib/decky-host.js is the same bundle).
  {
    ...node,
    entryPoints: ['agent/runtime/native/decky-host.ts'],
    outfile: 'out/agent/image/decky-host.js',
    packages: 'bundle',
    external: ['*.node', 'cpu-features'],
    sourcemap: false,
    banner: {
      js: [
        "import { createRequire as __decnetCreateRequire } from 'node:module';",
        "import { fileURLToPath as __decnetFileURLToPath } from 'node:url';",
        "import { dirname as __decnetDirname } from 'node:path';",
        'const require = __decnetCreateRequire(import.meta.url);',
        'const __filename = __decnetFileURLToPath(import.meta.url);',
        'const __dirname = __decnetDirname(__filename);',
      ].join(' '),
    },
  },
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
writeFileSync('out/agent/image/package.json', '{ "type": "module" }\n');
// The tray icon ships inside the packed out/ tree (electron-builder.yml packs out/** only).
mkdirSync('out/electron', { recursive: true });
copyFileSync('assets/icons/icon.png', 'out/electron/icon.png');

const skipRenderer = process.argv.includes('--no-renderer');
if (!skipRenderer && existsSync('renderer/vite.config.ts')) {
  const { build: viteBuild } = await import('vite');
  await viteBuild({ configFile: 'renderer/vite.config.ts', logLevel: 'warn' });
}

// Validates electron-builder.yml against the built out/ tree without the Electron binary, so a
// packaging mistake (a missing bundle, a spawned script or one of its modules left inside the
// asar, a hook that does not load) is caught where desktop packages cannot be built.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';

/** Scripts the desktop app starts as Electron-as-Node children: they must sit in app.asar.unpacked. */
export const SPAWNED_SCRIPTS = ['out/agent/cli.js', 'out/agent/decky-host.js'];
/** Bundles the app loads itself (main, preload, renderer) and the headless CLI. */
export const REQUIRED_OUTPUTS = [
  'out/electron/main.js',
  'out/electron/preload.cjs',
  'out/electron/icon.png',
  'out/main/cli.js',
  'out/renderer/index.html',
  ...SPAWNED_SCRIPTS,
];

export function loadBuilderConfig(root) {
  return parse(readFileSync(join(root, 'electron-builder.yml'), 'utf8'));
}

// electron-builder globs as used here: `dir/**`, `file`, and `!**/*.ext` exclusions.
const covers = (pattern, path) => (pattern.endsWith('/**') ? path.startsWith(pattern.slice(0, -2)) : pattern === path);
const excluded = (config, path) =>
  config.files.filter((f) => f.startsWith('!**/*.')).some((f) => path.endsWith(f.slice(4)));

/** Bare package names a bundle imports (esbuild leaves npm packages external). */
export function bareImports(source) {
  const names = new Set();
  // Top-level static imports only (esbuild emits them at line start); string literals elsewhere are ignored.
  for (const m of source.matchAll(/^(?:import|export)\s(?:[^'";]*?\sfrom\s*)?["']([^"'.][^"']*)["']/gm)) {
    const spec = m[1];
    if (spec.startsWith('node:')) continue;
    names.add(spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]);
  }
  return [...names];
}

/** The packages `names` need at run time, transitively (dependencies + optionalDependencies). */
export function dependencyClosure(root, names) {
  const seen = new Set();
  const missing = [];
  const queue = [...names];
  while (queue.length) {
    const name = queue.pop();
    if (seen.has(name)) continue;
    const pkg = join(root, 'node_modules', name, 'package.json');
    if (!existsSync(pkg)) {
      missing.push(name);
      continue;
    }
    seen.add(name);
    const json = JSON.parse(readFileSync(pkg, 'utf8'));
    queue.push(...Object.keys({ ...json.dependencies, ...json.optionalDependencies }));
  }
  return { packages: [...seen].sort(), missing };
}

const nonEmptyDir = (p) => existsSync(p) && statSync(p).isDirectory() && readdirSync(p).length > 0;

/** Every problem found, one line each; empty when the config and out/ agree. */
export async function checkDesktopPackage({ root, config = loadBuilderConfig(root) }) {
  const problems = [];
  const included = config.files.filter((f) => !f.startsWith('!'));
  for (const f of included) {
    if (f.endsWith('/**') && !nonEmptyDir(join(root, f.slice(0, -3))))
      problems.push(`files: ${f} matches nothing in the build (run npm run build)`);
    else if (!f.endsWith('/**') && !existsSync(join(root, f))) problems.push(`files: ${f} does not exist`);
  }
  const main = config.extraMetadata?.main;
  if (!main || !REQUIRED_OUTPUTS.includes(main))
    problems.push(`extraMetadata.main is ${main}, not the Electron main bundle`);
  for (const out of REQUIRED_OUTPUTS) {
    if (!existsSync(join(root, out))) problems.push(`${out} is missing from the build`);
    else if (!included.some((f) => covers(f, out)) || excluded(config, out))
      problems.push(`${out} is not packed by files`);
  }
  const unpack = config.asarUnpack ?? [];
  const imports = new Set();
  for (const script of SPAWNED_SCRIPTS) {
    if (!unpack.some((p) => covers(p, script)))
      problems.push(`asarUnpack does not cover ${script}: Electron-as-Node cannot start it from the archive`);
    if (existsSync(join(root, script)))
      for (const n of bareImports(readFileSync(join(root, script), 'utf8'))) imports.add(n);
  }
  // A module in app.asar.unpacked resolves its imports in app.asar.unpacked/node_modules only.
  const { packages, missing } = dependencyClosure(root, [...imports]);
  for (const name of missing) if (imports.has(name)) problems.push(`the agent imports ${name}, which is not installed`);
  for (const name of packages)
    if (!unpack.some((p) => covers(p, `node_modules/${name}/`)))
      problems.push(`asarUnpack does not cover node_modules/${name}/** (the unpacked agent needs it)`);
  if (!config.afterPack) problems.push('afterPack is not set: the packaged binary would keep its default fuses');
  else {
    const hook = join(root, config.afterPack);
    if (!existsSync(hook)) problems.push(`afterPack ${config.afterPack} does not exist`);
    else if (typeof (await import(hook)).default !== 'function')
      problems.push(`afterPack ${config.afterPack} has no default export function`);
  }
  return problems;
}

import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

type BuilderConfig = {
  appId: string;
  directories: { buildResources: string; output: string };
  files: string[];
  extraMetadata: { main: string };
  linux: { target: string[]; icon: string };
  mac: { target: string; icon: string };
  win: { target: string; icon: string };
};

const config = parse(readFileSync('electron-builder.yml', 'utf8')) as BuilderConfig;

function electronBinaryPresent(): boolean {
  try {
    return typeof createRequire(import.meta.url)('electron') === 'string';
  } catch {
    return false;
  }
}

describe('electron-builder.yml', () => {
  it('targets Linux (AppImage, deb), macOS (dmg) and Windows (nsis) with existing icons', () => {
    expect(config.appId).toMatch(/^[a-z]+(\.[a-z]+)+$/);
    expect(config.linux.target).toEqual(['AppImage', 'deb']);
    expect(config.mac.target).toBe('dmg');
    expect(config.win.target).toBe('nsis');
    for (const icon of [config.linux.icon, config.mac.icon, config.win.icon]) expect(existsSync(icon), icon).toBe(true);
    expect(existsSync(config.directories.buildResources)).toBe(true);
  });

  it('packs built bundles only: no sources, tests or agent sources', () => {
    const included = config.files.filter((f) => !f.startsWith('!'));
    for (const f of included) expect(f === 'package.json' || f.startsWith('out/'), f).toBe(true);
    expect(config.files).toContain('!**/*.ts');
    expect(config.files).toContain('!**/*.map');
    expect(config.extraMetadata.main.startsWith('out/electron/')).toBe(true);
  });

  it('names an entry that the build produces', () => {
    const build = readFileSync('scripts/build.mjs', 'utf8');
    expect(build).toContain(config.extraMetadata.main.replace(/^out\//, 'out/'));
  });
});

describe('npm run package without the Electron binary', () => {
  it.skipIf(electronBinaryPresent())('prints one clear line and exits non-zero without a stack trace', () => {
    const r = spawnSync(process.execPath, ['scripts/package-desktop.mjs'], { encoding: 'utf8' });
    expect(r.status).not.toBe(0);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/Electron binary is not installed/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});

import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { beforeAll, describe, expect, it } from 'vitest';
import { bareImports, checkDesktopPackage, SPAWNED_SCRIPTS } from '../../../scripts/desktop-package-check.mjs';
import { parse } from 'yaml';

type BuilderConfig = {
  appId: string;
  directories: { buildResources: string; output: string };
  files: string[];
  asarUnpack: string[];
  afterPack?: string;
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

describe('electron-builder.yml against the built out/ tree', () => {
  beforeAll(() => {
    // The check needs the whole build (the global setup skips the renderer).
    if (!existsSync('out/renderer/index.html') || !existsSync('out/electron/icon.png'))
      execFileSync(process.execPath, ['scripts/build.mjs'], { stdio: 'ignore' });
  }, 120_000);

  it('has no problem: every bundle packed, the spawned agent and its module closure unpacked, the hook loadable', async () => {
    expect(await checkDesktopPackage({ root: process.cwd() })).toEqual([]);
    for (const s of SPAWNED_SCRIPTS)
      expect(
        config.asarUnpack.some((p) => p.endsWith('/**') && s.startsWith(p.slice(0, -2))),
        s,
      ).toBe(true);
  });

  it('catches packaging mistakes', async () => {
    const check = (c: Partial<BuilderConfig>) =>
      checkDesktopPackage({ root: process.cwd(), config: { ...config, ...c } });
    expect(await check({ asarUnpack: config.asarUnpack.filter((p) => p !== 'node_modules/zod/**') })).toEqual([
      'asarUnpack does not cover node_modules/zod/** (the unpacked agent needs it)',
    ]);
    expect(await check({ asarUnpack: config.asarUnpack.filter((p) => p !== 'out/agent/**') })).toEqual(
      SPAWNED_SCRIPTS.map((s) => `asarUnpack does not cover ${s}: Electron-as-Node cannot start it from the archive`),
    );
    expect((await check({ files: config.files.filter((f) => f !== 'out/renderer/**') })).join('\n')).toContain(
      'out/renderer/index.html is not packed by files',
    );
    expect(await check({ files: [...config.files, 'out/nothing-here/**'] })).toEqual([
      'files: out/nothing-here/** matches nothing in the build (run npm run build)',
    ]);
    expect(await check({ afterPack: undefined })).toEqual([
      'afterPack is not set: the packaged binary would keep its default fuses',
    ]);
    expect(await check({ extraMetadata: { main: 'out/main/nope.js' } })).toEqual([
      'extraMetadata.main is out/main/nope.js, not the Electron main bundle',
    ]);
  });

  it('bare imports: top-level module imports only, not string literals that look like them', () => {
    const src =
      'import { z } from "zod";\nimport "reflect-metadata";\nimport { a } from "@peculiar/x509";\nimport { b } from "node:fs";\nimport c from "./local.js";\nconst s = `import x from "nope"`;\nfoo(" from \'also-nope\'");\n';
    expect(bareImports(src).sort()).toEqual(['@peculiar/x509', 'reflect-metadata', 'zod']);
  });
});

describe('fuses (afterPack hook)', () => {
  const context = (platform: string, arch = 1) => ({
    appOutDir: '/build/linux-unpacked',
    electronPlatformName: platform,
    arch,
    packager: { appInfo: { productFilename: 'DECNET Console' }, executableName: 'decnet-console' },
  });

  it('RunAsNode on (the agent is Electron-as-Node), cookie encryption and asar integrity on, Node escape hatches off, every fuse decided', async () => {
    const { fuseConfig } = await import('../../../scripts/electron-after-pack.mjs');
    const { FuseV1Options } = await import('@electron/fuses');
    expect(fuseConfig[FuseV1Options.RunAsNode]).toBe(true);
    expect(fuseConfig[FuseV1Options.EnableCookieEncryption]).toBe(true);
    expect(fuseConfig[FuseV1Options.EnableEmbeddedAsarIntegrityValidation]).toBe(true);
    expect(fuseConfig[FuseV1Options.OnlyLoadAppFromAsar]).toBe(true);
    expect(fuseConfig[FuseV1Options.EnableNodeOptionsEnvironmentVariable]).toBe(false);
    expect(fuseConfig[FuseV1Options.EnableNodeCliInspectArguments]).toBe(false);
    expect(fuseConfig[FuseV1Options.GrantFileProtocolExtraPrivileges]).toBe(false);
    expect(fuseConfig.strictlyRequireAllFuses).toBe(true);
    const numeric = Object.values(FuseV1Options).filter((v) => typeof v === 'number');
    for (const f of numeric) expect(typeof fuseConfig[f as number], `fuse ${String(f)}`).toBe('boolean');
  });

  it('flips the fuses of the packaged executable on each platform', async () => {
    const { default: afterPack } = await import('../../../scripts/electron-after-pack.mjs');
    const calls: Array<[string, Record<string, unknown>]> = [];
    const flipFuses = (path: string, cfg: Record<string, unknown>) => {
      calls.push([path, cfg]);
      return Promise.resolve(0);
    };
    await afterPack(context('linux'), { flipFuses });
    await afterPack(context('win32'), { flipFuses });
    await afterPack(context('darwin', 3), { flipFuses });
    expect(calls.map((c) => c[0])).toEqual([
      '/build/linux-unpacked/decnet-console',
      '/build/linux-unpacked/DECNET Console.exe',
      '/build/linux-unpacked/DECNET Console.app',
    ]);
    expect(calls.map((c) => c[1]['resetAdHocDarwinSignature'])).toEqual([false, false, true]);
    expect(calls[0]![1]['version']).toBe('1');
  });

  it('electron-builder.yml names the hook', () => {
    expect(config.afterPack).toBe('./scripts/electron-after-pack.mjs');
  });
});

describe('npm run package without the Electron binary', () => {
  it.skipIf(electronBinaryPresent())(
    'checks the config, then prints one clear line and exits non-zero without a stack trace',
    () => {
      const r = spawnSync(process.execPath, ['scripts/package-desktop.mjs', '--no-build'], { encoding: 'utf8' });
      expect(r.status).not.toBe(0);
      const lines = r.stderr.trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/config checked against out\/, but the Electron binary is not installed/);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    },
  );

  it('--check exits 0 when the config matches the build', () => {
    const r = spawnSync(process.execPath, ['scripts/package-desktop.mjs', '--check', '--no-build'], {
      encoding: 'utf8',
    });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });
});

import { execFileSync } from 'node:child_process';
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { reaperScript, resolveInstallRoot } from '../../../agent/reaper';
import { makeTmpDir } from '../../helpers/tmp-dir';

describe('reaper safety', () => {
  let tmp: { dir: string; remove: () => Promise<void> };
  beforeEach(async () => void (tmp = await makeTmpDir('decnet-reaper-unit-')));
  afterEach(() => tmp.remove());

  it('refuses an empty, relative or missing install root', async () => {
    await expect(resolveInstallRoot('')).rejects.toThrow(/absolute path/);
    await expect(resolveInstallRoot('tmp/x')).rejects.toThrow(/absolute path/);
    await expect(resolveInstallRoot(join(tmp.dir, 'nope'))).rejects.toThrow(/not usable/);
  });

  it('maps "/" to an empty prefix and strips trailing slashes', async () => {
    expect(await resolveInstallRoot('/')).toBe('');
    expect(await resolveInstallRoot(`${tmp.dir}/`)).toBe(tmp.dir);
  });

  it('refuses a root where a parent of a wiped path is a symlink leading out of it', async () => {
    const outside = join(tmp.dir, 'outside');
    const root = join(tmp.dir, 'root');
    await mkdir(outside, { recursive: true });
    await mkdir(root, { recursive: true });
    await symlink(outside, join(root, 'opt'));
    await expect(resolveInstallRoot(root)).rejects.toThrow(/is a symlink/);
  });

  it('quotes a root containing quotes and spaces, and the script parses', async () => {
    const root = join(tmp.dir, "it's a root");
    await mkdir(root);
    const scriptPath = join(tmp.dir, 'r.sh');
    const text = reaperScript({ prefix: await resolveInstallRoot(root), agentPid: 999_999, scriptPath });
    expect(text).toContain(`PREFIX='${tmp.dir}/it'\\''s a root'`);
    await writeFile(scriptPath, text);
    execFileSync('/bin/sh', ['-n', scriptPath]);
  });

  it('runs without touching anything outside the root', async () => {
    const root = join(tmp.dir, 'root');
    const outsideFile = join(tmp.dir, 'opt', 'decnet-keep');
    await mkdir(join(root, 'opt', 'decnet'), { recursive: true });
    await mkdir(join(tmp.dir, 'opt'), { recursive: true });
    await writeFile(outsideFile, 'x');
    const scriptPath = join(tmp.dir, 'r.sh');
    // pid 2^22+1 is above pid_max on default kernels: the "agent" is already gone.
    await writeFile(
      scriptPath,
      reaperScript({ prefix: await resolveInstallRoot(root), agentPid: 4_194_305, scriptPath }),
    );
    execFileSync('/bin/sh', [scriptPath]);
    const { existsSync } = await import('node:fs');
    expect(existsSync(join(root, 'opt', 'decnet'))).toBe(false);
    expect(existsSync(outsideFile)).toBe(true);
    expect(existsSync(scriptPath)).toBe(false);
  });
});

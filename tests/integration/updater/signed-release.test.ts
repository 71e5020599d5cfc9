import { execFile } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installRelease, releaseLayout, switchCurrent } from '../../../agent/updater/release-store';
import { verifyRelease, type ReleaseInput } from '../../../agent/updater/release-verify';
import { openCertificateAuthority, type CertificateAuthority } from '../../../main/core/ca';
import { ensureReleaseKey, spkiDerOf } from '../../../main/core/updater/release-key';
import { makeTmpDir } from '../../helpers/tmp-dir';
import { packageRelease, type BuiltRelease } from './package-release';

const run = promisify(execFile);

/** `npm run package:agent` signs what it builds, and the updater's checks accept exactly that. */
describe('signed agent release from package:agent', () => {
  let tmp: { dir: string; remove: () => Promise<void> };
  let ca: CertificateAuthority;
  let built: BuiltRelease;
  let input: ReleaseInput;

  beforeAll(async () => {
    tmp = await makeTmpDir('decnet-signed-');
    const dataDir = join(tmp.dir, 'console');
    ca = await openCertificateAuthority({ dataDir });
    built = await packageRelease({ version: '7.7.7-test', outDir: join(tmp.dir, 'dist'), dataDir });
    const key = await ensureReleaseKey(join(dataDir, 'ca'));
    input = {
      tarball: built.bytes,
      sha256: built.sha256,
      signatureBase64: built.signatureBase64,
      releaseKeyPem: key.publicKeyPem,
      endorsementBase64: (await ca.endorseReleaseKey(spkiDerOf(key.publicKeyPem))).toString('base64'),
      caPem: ca.caInfo().pem,
    };
  }, 120_000);
  afterAll(async () => tmp?.remove());

  it('writes <tarball>.sha256 (sha256sum -c passes) and .sig beside the tarball, the key beside ca.key', async () => {
    expect(basename(built.tarball)).toMatch(/^decnet-agent-7\.7\.7-test-linux-\w+\.tar\.gz$/);
    await run('sha256sum', ['--quiet', '-c', `${basename(built.tarball)}.sha256`], { cwd: dirname(built.tarball) });
    expect(Buffer.from(built.signatureBase64, 'base64')).toHaveLength(64);
    expect(await readdir(join(tmp.dir, 'console', 'ca'))).toContain('release.key');
  });

  it('verifies, installs as releases/<version>, and the installed agent reports that version', async () => {
    const r = await verifyRelease(input);
    expect(r.version).toBe('7.7.7-test');
    expect(r.entries.map((e) => e.path)).toEqual(
      expect.arrayContaining(['lib/cli.js', 'bin/decnet-agent', 'systemd/decnet-updater.service', 'VERSION']),
    );
    const l = releaseLayout(join(tmp.dir, 'root'));
    await installRelease(l, r);
    await switchCurrent(l, r.version);
    const { stdout } = await run(join(l.current, 'bin', 'decnet-agent'), ['version']);
    expect(stdout.trim()).toBe('decnet-agent 7.7.7-test');
  });

  it('refuses the real tarball with one flipped byte, a wrong SHA-256 or no signature', async () => {
    const flipped = Buffer.from(built.bytes);
    flipped[flipped.length >> 1]! ^= 0xff;
    await expect(verifyRelease({ ...input, tarball: flipped })).rejects.toThrow(/SHA-256 mismatch/);
    await expect(verifyRelease({ ...input, sha256: 'a'.repeat(64) })).rejects.toThrow(/SHA-256 mismatch/);
    await expect(verifyRelease({ ...input, signatureBase64: '' })).rejects.toThrow(/not signed/);
  });
});

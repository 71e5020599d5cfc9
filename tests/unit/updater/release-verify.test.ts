import { readdir, readFile, readlink, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installRelease, releaseLayout, switchCurrent } from '../../../agent/updater/release-store';
import { verifyRelease, type ReleaseInput } from '../../../agent/updater/release-verify';
import { openCertificateAuthority, type CertificateAuthority } from '../../../main/core/ca';
import { ensureReleaseKey, type ReleaseKey } from '../../../main/core/updater/release-key';
import { rawTarGz, releaseEntries, signedPush, type RawEntry } from '../../fixtures/release-tarball';
import { makeTmpDir } from '../../helpers/tmp-dir';

let tmp: { dir: string; remove: () => Promise<void> };
let ca: CertificateAuthority;
let foreignCa: CertificateAuthority;
let key: ReleaseKey;

beforeAll(async () => {
  tmp = await makeTmpDir('decnet-release-');
  ca = await openCertificateAuthority({ dataDir: join(tmp.dir, 'console') });
  foreignCa = await openCertificateAuthority({ dataDir: join(tmp.dir, 'foreign') });
  key = await ensureReleaseKey(join(tmp.dir, 'console', 'ca'));
});
afterAll(async () => tmp?.remove());

async function input(entries: readonly RawEntry[], o: { ca?: CertificateAuthority } = {}): Promise<ReleaseInput> {
  const tarball = rawTarGz(entries);
  const push = await signedPush(o.ca ?? ca, key, tarball);
  return { ...push, tarball, caPem: ca.caInfo().pem };
}

describe('release key', () => {
  it('is created once, 0600, beside the CA key, and reused', async () => {
    const again = await ensureReleaseKey(join(tmp.dir, 'console', 'ca'));
    expect(again.publicKeyPem).toBe(key.publicKeyPem);
    expect((await stat(key.path)).mode & 0o777).toBe(0o600);
    expect((await readdir(join(tmp.dir, 'console', 'ca'))).sort()).toEqual(
      expect.arrayContaining(['ca.crt', 'ca.key', 'release.key']),
    );
  });
});

describe('verifyRelease', () => {
  it('accepts a signed release and strips setuid bits', async () => {
    const r = await verifyRelease(await input(releaseEntries('1.2.3')));
    expect(r.version).toBe('1.2.3');
    expect(r.entries.map((e) => e.path).sort()).toEqual(['VERSION', 'bin/decnet-agent', 'lib', 'lib/cli.js']);
    expect(r.entries.find((e) => e.path === 'bin/decnet-agent')?.mode).toBe(0o755);
  });

  const refusals: Array<[string, (i: ReleaseInput) => ReleaseInput | Promise<ReleaseInput>, RegExp]> = [
    ['a wrong SHA-256', (i) => ({ ...i, sha256: '0'.repeat(64) }), /SHA-256 mismatch/],
    ['a missing signature', (i) => ({ ...i, signatureBase64: '' }), /not signed/],
    [
      'a signature of another tarball',
      async (i) => ({ ...i, signatureBase64: (await input(releaseEntries('9.9.9'))).signatureBase64 }),
      /signature does not match/,
    ],
    ['a key endorsed by no CA', (i) => ({ ...i, endorsementBase64: '' }), /not endorsed/],
    [
      'a key endorsed by a foreign CA',
      async (i) => ({
        ...i,
        endorsementBase64: (await input(releaseEntries('1.0.0'), { ca: foreignCa })).endorsementBase64,
      }),
      /not endorsed/,
    ],
    ['a tampered tarball', (i) => ({ ...i, tarball: Buffer.concat([i.tarball, Buffer.from('x')]) }), /SHA-256/],
  ];
  it.each(refusals)('refuses %s', async (_what, mutate, message) => {
    await expect(verifyRelease(await mutate(await input(releaseEntries('1.0.0'))))).rejects.toThrow(message);
  });

  const top = 'decnet-agent-1.0.0';
  const badArchives: Array<[string, RawEntry[], RegExp]> = [
    ['a ../ path', [...releaseEntries('1.0.0'), { path: `${top}/../../etc/cron.d/x`, data: 'x' }], /escapes/],
    ['a bare ../ path', [{ path: '../x', data: 'x' }, ...releaseEntries('1.0.0')], /escapes/],
    ['an absolute path', [...releaseEntries('1.0.0'), { path: '/etc/passwd', data: 'x' }], /absolute/],
    [
      'a symlink out',
      [...releaseEntries('1.0.0'), { path: `${top}/lib/x`, type: 'SymbolicLink', linkpath: '/etc' }],
      /symbolic link/,
    ],
    [
      'a hardlink',
      [...releaseEntries('1.0.0'), { path: `${top}/lib/y`, type: 'Link', linkpath: '/etc/shadow' }],
      /hard link/,
    ],
    ['a FIFO', [...releaseEntries('1.0.0'), { path: `${top}/lib/f`, type: 'FIFO' }], /FIFO/],
    ['two top dirs', [...releaseEntries('1.0.0'), { path: 'decnet-agent-2/x', data: 'x' }], /two top/],
    ['no VERSION', releaseEntries('1.0.0').filter((e) => !e.path.endsWith('VERSION')), /no VERSION/],
    [
      'a bad VERSION',
      releaseEntries('1.0.0').map((e) => (e.path.endsWith('VERSION') ? { ...e, data: '../../x' } : e)),
      /VERSION is not/,
    ],
  ];
  it.each(badArchives)('refuses an archive with %s', async (_what, entries, message) => {
    await expect(verifyRelease(await input(entries))).rejects.toThrow(message);
  });

  it('refuses bytes that are not a tar.gz', async () => {
    const tarball = Buffer.from('not a tarball at all');
    const push = await signedPush(ca, key, tarball);
    await expect(verifyRelease({ ...push, tarball, caPem: ca.caInfo().pem })).rejects.toThrow(/release refused/);
  });
});

describe('installRelease', () => {
  it('writes releases/<version> through one rename and switches current/previous links', async () => {
    const l = releaseLayout(join(tmp.dir, 'root'));
    await installRelease(l, await verifyRelease(await input(releaseEntries('1.0.0', 'one'))));
    await switchCurrent(l, '1.0.0');
    await installRelease(l, await verifyRelease(await input(releaseEntries('1.1.0', 'two'))));
    expect(await switchCurrent(l, '1.1.0')).toBe('1.0.0');
    expect(await readlink(l.current)).toBe('releases/1.1.0');
    expect(await readlink(l.previous)).toBe('releases/1.0.0');
    expect(await readFile(join(l.current, 'lib', 'cli.js'), 'utf8')).toBe('two');
    expect((await readdir(l.releases)).sort()).toEqual(['1.0.0', '1.1.0']);
    await expect(installRelease(l, await verifyRelease(await input(releaseEntries('1.1.0'))))).rejects.toThrow(
      /already the current/,
    );
  });
});

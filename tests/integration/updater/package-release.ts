import { spawnSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';

export type BuiltRelease = Readonly<{ tarball: string; bytes: Buffer; sha256: string; signatureBase64: string }>;

/**
 * Runs the real `npm run package:agent` script for `version` into `outDir`, signing with the
 * release key under `dataDir/ca` (created on first use), and reads back what it wrote.
 */
export async function packageRelease(o: { version: string; outDir: string; dataDir: string }): Promise<BuiltRelease> {
  const r = spawnSync(process.execPath, ['scripts/package-agent.mjs', '--version', o.version, '--out', o.outDir], {
    encoding: 'utf8',
    env: { ...process.env, DECNET_DATA_DIR: o.dataDir },
  });
  if (r.status !== 0) throw new Error(`package-agent failed: ${r.stderr}`);
  const tarball = /^(\S+\.tar\.gz) /m.exec(r.stdout)?.[1];
  if (!tarball) throw new Error(`package-agent printed no tarball: ${r.stdout}`);
  const [bytes, sums, sig] = await Promise.all([
    readFile(tarball),
    readFile(`${tarball}.sha256`, 'utf8'),
    readFile(`${tarball}.sig`, 'utf8'),
  ]);
  return { tarball, bytes, sha256: sums.split(/\s+/)[0]!, signatureBase64: sig.trim() };
}

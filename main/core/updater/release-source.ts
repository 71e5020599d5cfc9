import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AppError } from '../../../shared/errors';
import { RELEASE_MAX_BYTES } from '../../../shared/protocol/updater-api';
import { readAgentPackage } from '../hosts/agent-package';

/** A release ready to push: the tarball, its published SHA-256 and detached signature. */
export type Release = Readonly<{ fileName: string; tarball: Buffer; sha256: string; signatureBase64: string }>;

/** One chosen from disk in the console: the tarball and the content of its `.sig` file. */
export type ChosenRelease = Readonly<{ fileName?: string; tarballBase64: string; signatureBase64: string }>;

/**
 * The release `hosts.update` pushes: the one chosen from disk, or the tarball the console ships
 * (the newest `npm run package:agent` output in `dir`, with the `.sha256` and `.sig` written beside
 * it). An unsigned package is refused here with the fix, before any worker is contacted.
 */
export async function releaseToPush(dir: string, chosen?: ChosenRelease): Promise<Release> {
  if (chosen) {
    const tarball = Buffer.from(chosen.tarballBase64, 'base64');
    if (tarball.length === 0 || tarball.length > RELEASE_MAX_BYTES)
      throw new AppError('INVALID_INPUT', `the chosen release must be 1 byte to ${RELEASE_MAX_BYTES} bytes`);
    const signatureBase64 = chosen.signatureBase64.trim();
    if (!signatureBase64) throw new AppError('INVALID_INPUT', 'the chosen release has no signature (its .sig file)');
    return {
      fileName: chosen.fileName ?? 'chosen release',
      tarball,
      sha256: createHash('sha256').update(tarball).digest('hex'),
      signatureBase64,
    };
  }
  const pkg = await readAgentPackage(dir);
  const sidecar = async (ext: string) =>
    readFile(join(dir, `${pkg.fileName}${ext}`), 'utf8').catch(() => {
      throw new AppError(
        'INVALID_INPUT',
        `${pkg.fileName} has no ${ext} beside it: rebuild it with \`npm run package:agent\` (it signs what it builds)`,
      );
    });
  const [sums, sig] = [await sidecar('.sha256'), await sidecar('.sig')];
  return {
    fileName: pkg.fileName,
    tarball: Buffer.from(pkg.packageBase64, 'base64'),
    // The published checksum, not one computed here: a tarball damaged since the build is refused.
    sha256: sums.split(/\s+/)[0] ?? '',
    signatureBase64: sig.trim(),
  };
}

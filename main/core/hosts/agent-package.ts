import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { AppError } from '../../../shared/errors';

export type AgentPackage = Readonly<{ fileName: string; packageBase64: string; sha256: string; command: string }>;

/** Largest tarball the console will hand out (the real one is well under 1 MiB). */
const MAX_PACKAGE_BYTES = 64 * 1024 * 1024;

/**
 * Finds the worker tarball built by `npm run package:agent` (the newest
 * `decnet-agent-*-linux-*.tar.gz` in `dir`) so the console can save it next to an offline bundle;
 * the enroll line then needs nothing from the internet. NOT_FOUND says how to build it.
 */
export async function readAgentPackage(dir: string): Promise<AgentPackage> {
  const names = await readdir(dir).catch(() => [] as string[]);
  const candidates = names.filter((n) => /^decnet-agent-[\w.+-]+-linux-[\w]+\.tar\.gz$/.test(n)).sort(byVersionDesc);
  const newest = candidates[0];
  if (!newest) throw new AppError('NOT_FOUND', `no agent package in ${dir}: build it with \`npm run package:agent\``);
  const bytes = await readFile(join(dir, newest));
  if (bytes.length > MAX_PACKAGE_BYTES)
    throw new AppError('INTERNAL', `${newest} is larger than ${MAX_PACKAGE_BYTES} bytes`);
  const dirName = basename(newest).replace(/-linux-[\w]+\.tar\.gz$/, '');
  return {
    fileName: newest,
    packageBase64: bytes.toString('base64'),
    sha256: createHash('sha256').update(bytes).digest('hex'),
    command: `tar xzf ${newest} && sudo ./${dirName}/install.sh`,
  };
}

function byVersionDesc(a: string, b: string): number {
  return b.localeCompare(a, 'en', { numeric: true });
}

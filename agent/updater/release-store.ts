import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readdir, readlink, rename, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { AppError } from '../../shared/errors';
import type { VerifiedRelease } from './release-verify';

/** Releases side by side under `<installRoot>/opt/decnet/`, as install.sh lays out the first one. */
export type ReleaseLayout = Readonly<{
  base: string;
  releases: string;
  current: string;
  previous: string;
  /** The updater's own release (update-self); absent until the first one, then `current` is used. */
  updater: string;
  updaterPrevious: string;
}>;

export function releaseLayout(installRoot: string): ReleaseLayout {
  const base = join(installRoot, 'opt', 'decnet');
  return {
    base,
    releases: join(base, 'releases'),
    current: join(base, 'current'),
    previous: join(base, 'previous'),
    updater: join(base, 'updater'),
    updaterPrevious: join(base, 'updater-previous'),
  };
}

/** Releases kept on disk besides current and previous (older ones are removed after a switch). */
const KEEP_OTHERS = 1;

/** The version a `current`/`previous` link points at, or null when the link is absent. */
export async function linkedVersion(link: string): Promise<string | null> {
  try {
    return basename(await readlink(link));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

export async function listReleases(l: ReleaseLayout): Promise<string[]> {
  const names = await readdir(l.releases).catch(() => [] as string[]);
  return names.filter((n) => !n.startsWith('.')).sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
}

/**
 * Writes a verified release to `releases/<version>` through a hidden temp dir and one rename, so
 * a crash or a full disk never leaves a half release under its version's name. The running
 * release is never overwritten.
 */
export async function installRelease(l: ReleaseLayout, r: VerifiedRelease): Promise<string> {
  const dest = join(l.releases, r.version);
  if ((await linkedVersion(l.current)) === r.version)
    throw new AppError('CONFLICT', `release ${r.version} is already the current release`);
  await mkdir(l.releases, { recursive: true, mode: 0o755 });
  const tmp = join(l.releases, `.incoming-${randomBytes(6).toString('hex')}`);
  try {
    await mkdir(tmp, { mode: 0o755 });
    for (const e of r.entries) {
      const p = join(tmp, e.path);
      if (e.type === 'dir') await mkdir(p, { recursive: true, mode: 0o755 });
      else {
        await mkdir(dirname(p), { recursive: true, mode: 0o755 });
        await writeFile(p, e.data, { mode: e.mode, flag: 'wx' });
        await chmod(p, e.mode);
      }
    }
    await writeFile(join(tmp, '.sha256'), `${r.sha256}\n`);
    await rm(dest, { recursive: true, force: true });
    await rename(tmp, dest);
  } catch (err) {
    await rm(tmp, { recursive: true, force: true });
    if (err instanceof AppError) throw err;
    throw new AppError('INTERNAL', `cannot install release ${r.version}: ${(err as Error).message}`, undefined, {
      cause: err,
    });
  }
  return dest;
}

/** Points `link` at `releases/<version>` with a relative symlink replaced by one rename (atomic). */
export async function pointLink(l: ReleaseLayout, link: string, version: string): Promise<void> {
  const tmp = `${link}.${randomBytes(4).toString('hex')}.tmp`;
  await symlink(join('releases', version), tmp);
  await rename(tmp, link);
}

/** current → `version`, previous → what current was; returns the version switched away from. */
export async function switchCurrent(l: ReleaseLayout, version: string): Promise<string | null> {
  await stat(join(l.releases, version));
  const was = await linkedVersion(l.current);
  if (was !== null && was !== version) await pointLink(l, l.previous, was);
  await pointLink(l, l.current, version);
  return was;
}

/** Undo of a switch: current → `version` (the one that worked), previous → the failed one is dropped. */
export async function switchBack(l: ReleaseLayout, version: string, failed: string): Promise<void> {
  await pointLink(l, l.current, version);
  const prev = await linkedVersion(l.previous);
  if (prev === version || prev === failed) await rm(l.previous, { force: true });
}

/** Removes releases no link points at (the updater's two included), keeping the newest KEEP_OTHERS others. */
export async function pruneReleases(l: ReleaseLayout): Promise<void> {
  const links = [l.current, l.previous, l.updater, l.updaterPrevious];
  const keep = new Set(await Promise.all(links.map((k) => linkedVersion(k))));
  const others = (await listReleases(l)).filter((v) => !keep.has(v));
  for (const v of others.slice(0, Math.max(0, others.length - KEEP_OTHERS)))
    await rm(join(l.releases, v), { recursive: true, force: true });
}

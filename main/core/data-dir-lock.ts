import { closeSync, mkdirSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { AppError } from '../../shared/errors';

export const LOCK_FILE = 'master.lock';

export type DataDirLock = Readonly<{ path: string; pid: number; release(): void }>;

export type LockOptions = Readonly<{ pid?: number; isAlive?: (pid: number) => boolean }>;

/**
 * One master per data dir: `<dataDir>/master.lock` holds the owner's pid, created with O_EXCL so
 * two starters cannot both win. A lock whose pid is dead (a crash, a kill -9) is taken over. The
 * console, `decnet-master serve` and the CLI's direct-file commands all take it before they open
 * master.json or the CA. Synchronous on purpose: it runs once, before anything else is opened.
 */
export function acquireDataDirLock(dataDir: string, opts: LockOptions = {}): DataDirLock {
  const pid = opts.pid ?? process.pid;
  const isAlive = opts.isAlive ?? pidAlive;
  const path = join(dataDir, LOCK_FILE);
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  for (let attempt = 0; attempt < 3; attempt++) {
    if (tryCreate(path, pid)) {
      // A concurrent takeover may have unlinked our fresh file before creating its own: the file
      // must still name us, else the other starter won.
      if (readOwner(path) === pid) return { path, pid, release: () => releaseIfOwner(path, pid) };
      continue;
    }
    const owner = readOwner(path);
    if (owner !== null && owner !== pid && isAlive(owner)) {
      throw new AppError(
        'CONFLICT',
        `the data dir ${dataDir} is in use by another master (pid ${owner}); stop it or use another data dir`,
      );
    }
    // Stale (dead pid, or a file a crashed starter left empty): remove it and race again.
    try {
      unlinkSync(path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }
  throw new AppError('CONFLICT', `the data dir ${dataDir} is being locked by another starter; try again`);
}

function tryCreate(path: string, pid: number): boolean {
  let fd: number;
  try {
    fd = openSync(path, 'wx', 0o644);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw new AppError('INTERNAL', `cannot create the lock ${path}: ${(err as Error).message}`, undefined, {
      cause: err,
    });
  }
  try {
    writeSync(fd, `${pid}\n`);
  } finally {
    closeSync(fd);
  }
  return true;
}

function readOwner(path: string): number | null {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return null;
  }
  const m = /^(\d{1,10})\n?$/.exec(text.slice(0, 32));
  return m ? Number(m[1]) : null;
}

function releaseIfOwner(path: string, pid: number): void {
  if (readOwner(path) !== pid) return;
  try {
    unlinkSync(path);
  } catch {
    // Already gone: nothing to release.
  }
}

/** kill(pid, 0): ESRCH is dead; EPERM is alive but someone else's. */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

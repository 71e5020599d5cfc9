import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { acquireDataDirLock, pidAlive } from '../../../main/core/data-dir-lock';
import { makeTmpDir } from '../../helpers/tmp-dir';

/** The pid of a process that has exited (spawnSync waits for it). */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', '0']);
  expect(pidAlive(r.pid)).toBe(false);
  return r.pid;
}

describe('data dir lock', () => {
  let tmp: { dir: string; remove: () => Promise<void> };
  beforeEach(async () => (tmp = await makeTmpDir('decnet-lock-')));
  afterEach(() => tmp.remove());

  it('writes the owner pid, refuses a second owner naming it, and releases', () => {
    const lock = acquireDataDirLock(tmp.dir, { pid: 4242, isAlive: () => true });
    expect(readFileSync(join(tmp.dir, 'master.lock'), 'utf8')).toBe('4242\n');
    expect(() => acquireDataDirLock(tmp.dir, { pid: 4343, isAlive: () => true })).toThrow(
      `the data dir ${tmp.dir} is in use by another master (pid 4242)`,
    );
    expect(readFileSync(join(tmp.dir, 'master.lock'), 'utf8')).toBe('4242\n');
    lock.release();
    expect(existsSync(join(tmp.dir, 'master.lock'))).toBe(false);
    acquireDataDirLock(tmp.dir, { pid: 4343 }).release();
  });

  it('takes over a stale lock of a dead pid', () => {
    writeFileSync(join(tmp.dir, 'master.lock'), `${deadPid()}\n`);
    const lock = acquireDataDirLock(tmp.dir);
    expect(readFileSync(lock.path, 'utf8')).toBe(`${process.pid}\n`);
    lock.release();
  });

  it('takes over an empty or garbage lock file', () => {
    writeFileSync(join(tmp.dir, 'master.lock'), 'not a pid');
    acquireDataDirLock(tmp.dir).release();
  });

  it('release leaves a lock that someone else now owns', () => {
    const lock = acquireDataDirLock(tmp.dir, { pid: 1111 });
    writeFileSync(lock.path, '2222\n');
    lock.release();
    expect(readFileSync(lock.path, 'utf8')).toBe('2222\n');
  });

  it('creates a missing data dir', () => {
    acquireDataDirLock(join(tmp.dir, 'a', 'b')).release();
  });
});

import type { Adapter } from 'lowdb';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { AppError } from '../../../shared/errors';
import { silentLogger } from '../../../shared/node/logger';
import { openDb } from '../../../main/core/store/db';
import { jsonFileAdapter } from '../../../main/core/store/json-adapter';
import { emptyDb, type DbData } from '../../../main/core/store/schema';
import { checkStore, restoreStore } from '../../../main/core/store/store-file';
import { makeTmpDir } from '../../helpers/tmp-dir';

let cleanup: (() => Promise<void>) | null = null;
afterEach(async () => {
  await cleanup?.();
  cleanup = null;
});

describe('durable or refused', () => {
  it('flush rejects with STORE_UNAVAILABLE while writes fail, and succeeds once they work again', async () => {
    let failing = false;
    const adapter: Adapter<DbData> = {
      read: () => Promise.resolve(null),
      write: () => (failing ? Promise.reject(new Error('ENOSPC: no space left on device')) : Promise.resolve()),
    };
    const db = await openDb(adapter, silentLogger);
    failing = true;
    db.data().settings.x = 1;
    db.commit();
    const err = await db.flush().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).code).toBe('STORE_UNAVAILABLE');
    expect(db.health()).toMatchObject({ ok: false, lastError: expect.stringMatching(/ENOSPC/) as unknown });
    // No new commit since: flush still refuses (memory is ahead of the disk) rather than answering ok.
    await expect(db.flush()).rejects.toThrow(/could not be saved/);
    failing = false;
    await db.flush();
    expect(db.health().ok).toBe(true);
  });
});

describe('a store that never silently starts empty', () => {
  const bad: Array<[string, string, RegExp]> = [
    ['truncated', '{"schemaVersion":1,"hosts":[{"uu', /not valid JSON/],
    ['empty', '', /empty \(truncated\)/],
    ['{}', '{}', /neither schemaVersion nor hosts/],
    ['null', 'null', /is null/],
    ['wrong schema', '{"schemaVersion":1}', /wrong schema: hosts/],
  ];
  for (const [what, text, reason] of bad) {
    it(`refuses a ${what} master.json naming the file and the copy to restore, and store restore brings it back`, async () => {
      const tmp = await makeTmpDir();
      cleanup = tmp.remove;
      const dir = join(tmp.dir, 'data');
      await mkdir(dir);
      const path = join(dir, 'master.json');
      const good: DbData = {
        ...emptyDb(),
        hosts: [
          {
            uuid: 'h1',
            name: 'w1',
            address: null,
            agentPort: 8765,
            fingerprint: null,
            certExpiresAt: null,
            enrolledAt: new Date().toISOString(),
            local: false,
            lastHeartbeatAt: null,
            lastEventsAt: null,
            agentVersion: null,
            topology: null,
          },
        ],
      };
      const db = await openDb(jsonFileAdapter(path), silentLogger);
      Object.assign(db.data(), good);
      db.commit();
      await db.flush();
      await writeFile(path, text);
      const err = (await openDb(jsonFileAdapter(path), silentLogger).catch((e: unknown) => e)) as Error;
      expect(err.message).toMatch(reason);
      expect(err.message).toContain(path);
      expect(err.message).toContain(`${path}.bak`);
      expect(err.message).toContain(`decnet-master store restore --data ${dir}`);
      expect(err.message).not.toContain('\n');
      expect(await readFile(path, 'utf8')).toBe(text); // refused, nothing changed
      expect((await checkStore(dir)).store.ok).toBe(false);
      const restored = await restoreStore(dir);
      expect(restored.restored).toMatchObject({ ok: true, hosts: 1 });
      expect(restored.keptAs).toMatch(/master\.json\.refused-/);
      const reopened = await openDb(jsonFileAdapter(path), silentLogger);
      expect(reopened.data().hosts.map((h) => h.uuid)).toEqual(['h1']);
    });
  }

  it('removes temp files a crash left behind, and a missing file is a fresh store', async () => {
    const tmp = await makeTmpDir();
    cleanup = tmp.remove;
    const path = join(tmp.dir, 'master.json');
    await writeFile(join(tmp.dir, '.master.json.abcdef.tmp'), '');
    const db = await openDb(jsonFileAdapter(path), silentLogger);
    expect(db.data().hosts).toEqual([]);
    expect((await readdir(tmp.dir)).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });
});

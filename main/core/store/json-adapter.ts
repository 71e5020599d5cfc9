import type { Adapter } from 'lowdb';
import { readFile } from 'node:fs/promises';
import { writeFileAtomic } from '../../../shared/node/atomic-file';
import type { DbData } from './schema';
import { backupPathOf, parseStoreText, removeStaleTemps, storeRefusal } from './store-file';

/**
 * lowdb adapter: compact JSON written with fsync + rename (lowdb's own JSONFile pretty-prints and
 * never fsyncs, so a power loss could lose a rename). Mode 0600: the store names every host.
 * A missing file is a fresh store; anything else that is not a valid store is refused, never
 * opened as empty. Every successful write is then copied to `master.json.bak` (the last good copy).
 */
export function jsonFileAdapter(path: string): Adapter<DbData> {
  return {
    async read() {
      await removeStaleTemps(path);
      let text: string;
      try {
        text = await readFile(path, 'utf8');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
        throw new Error(await storeRefusal(path, (err as Error).message), { cause: err });
      }
      try {
        return parseStoreText(text);
      } catch (err) {
        throw new Error(await storeRefusal(path, (err as Error).message), { cause: err });
      }
    },
    async write(data) {
      const text = JSON.stringify(data);
      await writeFileAtomic(path, text, 0o600);
      // The store itself is on disk now; a failed copy leaves the previous (still valid) last good copy.
      await writeFileAtomic(backupPathOf(path), text, 0o600).catch(() => undefined);
    },
  };
}

import type { Adapter } from 'lowdb';
import { readFile } from 'node:fs/promises';
import { writeFileAtomic } from '../../../shared/node/atomic-file';

/**
 * lowdb adapter: compact JSON written with fsync + rename (lowdb's own JSONFile pretty-prints and
 * never fsyncs, so a power loss could lose a rename). Mode 0600: the store names every host.
 */
export function jsonFileAdapter<T>(path: string): Adapter<T> {
  return {
    async read() {
      try {
        return JSON.parse(await readFile(path, 'utf8')) as T;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
        throw new Error(`cannot read the store ${path}: ${(err as Error).message}`, { cause: err });
      }
    },
    write: (data) => writeFileAtomic(path, JSON.stringify(data), 0o600),
  };
}

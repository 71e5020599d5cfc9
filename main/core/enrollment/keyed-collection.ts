import { AppError } from '../../../shared/errors';
import { readJsonFile, writeFileAtomic } from '../../../shared/node/atomic-file';

/**
 * A small map of records, optionally mirrored to a JSON file (atomic rewrite on each change).
 * Mutations run one at a time, so a check-then-set inside `update` is atomic within the process.
 */
export type KeyedCollection<T> = Readonly<{
  get(key: string): Promise<T | undefined>;
  values(): Promise<T[]>;
  /** Runs `fn` on the live map under the lock; persists afterwards when it returns true. */
  update<R>(fn: (map: Map<string, T>) => { changed: boolean; result: R }): Promise<R>;
}>;

export function createKeyedCollection<T>(opts: { path?: string; what: string }): KeyedCollection<T> {
  let map: Map<string, T> | null = null;
  let tail: Promise<unknown> = Promise.resolve();

  const load = async (): Promise<Map<string, T>> => {
    if (map) return map;
    const raw = opts.path ? await readJsonFile(opts.path) : null;
    if (raw !== null && (typeof raw !== 'object' || Array.isArray(raw))) {
      throw new AppError('INTERNAL', `${opts.what} file ${opts.path ?? ''} is not a JSON object`);
    }
    map = new Map(Object.entries((raw ?? {}) as Record<string, T>));
    return map;
  };

  const serial = <R>(job: () => Promise<R>): Promise<R> => {
    const run = tail.then(job, job);
    tail = run.catch(() => undefined);
    return run;
  };

  return {
    get: (key) => serial(async () => (await load()).get(key)),
    values: () => serial(async () => [...(await load()).values()]),
    update: (fn) =>
      serial(async () => {
        const m = await load();
        const { changed, result } = fn(m);
        if (changed && opts.path) {
          try {
            await writeFileAtomic(opts.path, JSON.stringify(Object.fromEntries(m), null, 2) + '\n', 0o600);
          } catch (err) {
            map = null; // the file is the truth: drop the unsaved change
            throw new AppError(
              'INTERNAL',
              `cannot save ${opts.what} to ${opts.path}: ${(err as Error).message}`,
              undefined,
              { cause: err },
            );
          }
        }
        return result;
      }),
  };
}

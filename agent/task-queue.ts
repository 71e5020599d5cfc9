/**
 * Background work, serialised per key (decky name): two operations on one decky never overlap,
 * while different deckies proceed in parallel. `idle()` lets shutdown and self-destruct wait.
 */
export type TaskQueue = Readonly<{
  run: <T>(key: string, fn: () => Promise<T>) => Promise<T>;
  idle: () => Promise<void>;
  pending: () => number;
}>;

export function createTaskQueue(): TaskQueue {
  const tails = new Map<string, Promise<unknown>>();
  const all = new Set<Promise<unknown>>();
  return {
    run: (key, fn) => {
      const prev = tails.get(key) ?? Promise.resolve();
      const next = prev.then(fn, fn);
      const settled = next.then(
        () => undefined,
        () => undefined,
      );
      tails.set(key, settled);
      all.add(settled);
      void settled.then(() => {
        all.delete(settled);
        if (tails.get(key) === settled) tails.delete(key);
      });
      return next;
    },
    idle: async () => {
      while (all.size > 0) await Promise.all([...all]);
    },
    pending: () => all.size,
  };
}

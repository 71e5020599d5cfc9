/**
 * Runs at most `n` async tasks at a time, in call order; a failure rejects only its own caller and
 * never blocks what follows. A finishing task hands its slot straight to the next waiter, so a
 * caller arriving in between cannot jump the queue or push the count past `n`. Tasks always start
 * on a later microtask, never inside the call (callers may still be mutating what the task reads).
 */
export function createLimiter(n: number): <T>(fn: () => Promise<T>) => Promise<T> {
  let active = 0;
  const waiting: Array<() => void> = [];
  return async <T>(fn: () => Promise<T>): Promise<T> => {
    if (active < n && waiting.length === 0) {
      active++;
      await Promise.resolve();
    } else {
      await new Promise<void>((resolve) => waiting.push(resolve));
    }
    try {
      return await fn();
    } finally {
      const next = waiting.shift();
      if (next) next();
      else active--;
    }
  };
}

/** One task at a time: state, outbox and topology files use one each so a read never interleaves with a rewrite. */
export function createSerial(): <R>(fn: () => Promise<R>) => Promise<R> {
  return createLimiter(1);
}

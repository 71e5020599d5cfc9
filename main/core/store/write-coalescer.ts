/**
 * Serialises writes of a whole document: at most one write in flight and one pending. Any number
 * of requests made while a write runs collapse into the single pending write, which snapshots the
 * data when it starts, so write cost does not grow with the request rate (heartbeats).
 */
export type WriteCoalescer = Readonly<{
  /** Resolves once a write that started after this call has finished; rejects when that write failed. */
  request(): Promise<void>;
  /**
   * Waits for everything requested so far and rejects with the error of the last write when it
   * failed: the document in memory is then not on disk, so nothing may be acknowledged.
   */
  idle(): Promise<void>;
  /**
   * The write a caller can wait on without asking for another: the pending one (it snapshots the
   * data when it starts, so it will hold every change made before now), else the one in flight
   * (which may have started before the caller's change: the caller decides), else none.
   */
  current(): { pending: boolean; done: Promise<void> } | undefined;
}>;

export function createWriteCoalescer(write: () => Promise<void>): WriteCoalescer {
  let inFlight: Promise<void> | undefined;
  let pending: Promise<void> | undefined;
  let lastError: unknown = null;

  const start = (): Promise<void> => {
    const p: Promise<void> = write()
      .then(
        () => {
          lastError = null;
        },
        (err: unknown) => {
          lastError = err ?? new Error('store write failed');
          throw err;
        },
      )
      .finally(() => {
        if (inFlight === p) inFlight = undefined;
      });
    inFlight = p;
    return p;
  };

  return {
    request() {
      if (pending) return pending;
      if (!inFlight) return start();
      pending = inFlight
        .catch(() => undefined)
        .then(() => {
          pending = undefined;
          return start();
        });
      return pending;
    },
    current() {
      if (pending) return { pending: true, done: pending };
      return inFlight ? { pending: false, done: inFlight } : undefined;
    },
    async idle() {
      while (pending ?? inFlight) await (pending ?? inFlight)?.catch(() => undefined);
      if (lastError !== null) throw lastError;
    },
  };
}

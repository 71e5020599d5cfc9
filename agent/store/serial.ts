/**
 * Runs async work one piece at a time, in call order; a failure rejects only its own caller and
 * never blocks what follows. State, outbox and topology files use one each so a read never
 * interleaves with a rewrite.
 */
export function createSerial(): <R>(fn: () => Promise<R>) => Promise<R> {
  let chain: Promise<unknown> = Promise.resolve();
  return <R>(fn: () => Promise<R>): Promise<R> => {
    const next = chain.then(fn, fn);
    chain = next.catch(() => undefined);
    return next;
  };
}

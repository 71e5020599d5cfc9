/** Time source and timers, injected so that tests and benchmarks can drive them. */
export type Clock = Readonly<{
  now: () => Date;
  /** Runs `fn` after `ms`; returns a cancel function. The timer never keeps the process alive. */
  setTimer: (fn: () => void, ms: number) => () => void;
}>;

export const systemClock: Clock = {
  now: () => new Date(),
  setTimer: (fn, ms) => {
    const t = setTimeout(fn, ms);
    t.unref();
    return () => clearTimeout(t);
  },
};

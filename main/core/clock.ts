/** Time and timers, injected so tests drive the sweep and liveness with a fake clock. */
export type Clock = Readonly<{
  now(): number;
  setInterval(fn: () => void, ms: number): unknown;
  clearInterval(handle: unknown): void;
}>;

export const systemClock: Clock = {
  now: () => Date.now(),
  setInterval: (fn, ms) => {
    const t = setInterval(fn, ms);
    // Background ticks must never keep a CLI or a test process alive on their own.
    t.unref();
    return t;
  },
  clearInterval: (handle) => clearInterval(handle as NodeJS.Timeout),
};

export function iso(ms: number): string {
  return new Date(ms).toISOString();
}

import { describe, expect, it } from 'vitest';
import { createLimiter, createSerial } from '../../../shared/node/serial';

/** A task the test finishes by hand, recording when it started. */
function gate(log: string[], name: string) {
  let open!: () => void;
  let fail!: (e: Error) => void;
  const done = new Promise<string>((resolve, reject) => {
    open = () => resolve(name);
    fail = reject;
  });
  return { task: () => (log.push(name), done), done, open, fail };
}

const ticks = async (n = 5) => {
  for (let i = 0; i < n; i++) await Promise.resolve();
};

describe('createLimiter', () => {
  it('runs at most n at a time, in call order, even when a caller arrives as a slot frees', async () => {
    const started: string[] = [];
    const limit = createLimiter(2);
    const [a, b, c, d] = ['a', 'b', 'c', 'd'].map((n) => gate(started, n));
    const results = [limit(a!.task), limit(b!.task), limit(c!.task)];
    await ticks();
    expect(started).toEqual(['a', 'b']);
    // d is called the moment a's slot frees (a microtask after a settles, before c resumes): it
    // must queue behind c, not take the slot.
    const dCalled = a!.done.then(() => results.push(limit(d!.task)));
    a!.open();
    await dCalled;
    await ticks();
    expect(started).toEqual(['a', 'b', 'c']);
    b!.open();
    await ticks();
    expect(started).toEqual(['a', 'b', 'c', 'd']);
    c!.open();
    d!.open();
    await expect(Promise.all(results)).resolves.toEqual(['a', 'b', 'c', 'd']);
  });

  it('a failure rejects only its caller; the next task still runs', async () => {
    const started: string[] = [];
    const serial = createSerial();
    const [a, b] = ['a', 'b'].map((n) => gate(started, n));
    const ra = serial(a!.task);
    const rb = serial(b!.task);
    a!.fail(new Error('disk full'));
    await expect(ra).rejects.toThrow('disk full');
    await ticks();
    expect(started).toEqual(['a', 'b']);
    b!.open();
    await expect(rb).resolves.toBe('b');
  });

  it('never starts a task inside the call', async () => {
    const serial = createSerial();
    let ran = false;
    const r = serial(() => ((ran = true), Promise.resolve(1)));
    expect(ran).toBe(false);
    await expect(r).resolves.toBe(1);
    expect(ran).toBe(true);
  });
});

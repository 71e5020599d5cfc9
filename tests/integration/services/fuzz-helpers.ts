import net from 'node:net';
import fc from 'fast-check';

/**
 * `count` fuzz inputs: random bytes, 1-4 valid seed messages concatenated then truncated,
 * bit-flipped or padded, or a flood of 10-300 KB. Deterministic for a given `seed`.
 */
export function mutatedInputs(seeds: readonly Buffer[], seed: number, count: number): Buffer[] {
  const mutated = fc
    .tuple(
      fc.array(fc.constantFrom(...seeds), { minLength: 1, maxLength: 4 }),
      fc.double({ min: 0, max: 1, noNaN: true }),
      fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }),
      fc.uint8Array({ maxLength: 16 }),
    )
    .map(([parts, cut, flips, tail]) => {
      const whole = Buffer.concat(parts);
      const out = Buffer.from(whole.subarray(0, Math.max(1, Math.round(whole.length * cut))));
      for (const [at, v] of flips) if (out.length) out[at % out.length] = v;
      return Buffer.concat([out, Buffer.from(tail)]);
    });
  const huge = fc.integer({ min: 10_000, max: 300_000 }).map((n) => Buffer.alloc(n, 0x41));
  const arb = fc.oneof(
    { weight: 3, arbitrary: fc.uint8Array({ minLength: 1, maxLength: 512 }).map((u) => Buffer.from(u)) },
    { weight: 6, arbitrary: mutated },
    { weight: 1, arbitrary: huge },
  );
  return fc.sample(arb, { numRuns: count, seed });
}

/** One connection: writes the batch, half-closes, and gives up after 2 s whatever the peer does. */
export function blast(ip: string, port: number, batch: readonly Buffer[]): Promise<void> {
  return new Promise((resolve) => {
    const s = net.connect({ host: ip, port });
    const done = () => {
      clearTimeout(timer);
      s.destroy();
      resolve();
    };
    const timer = setTimeout(done, 2_000);
    s.on('error', done);
    s.on('close', done);
    s.on('data', () => undefined);
    s.once('connect', () => {
      for (const chunk of batch) if (!s.destroyed) s.write(chunk);
      s.end();
    });
  });
}

/** Sends `inputs` in batches of `perConnection` over `concurrency` parallel connections, rotating ports. */
export async function blastAll(
  ip: string,
  ports: readonly number[],
  inputs: readonly Buffer[],
  opts: { perConnection: number; concurrency: number },
): Promise<void> {
  const batches: Buffer[][] = [];
  for (let k = 0; k < inputs.length; k += opts.perConnection) batches.push(inputs.slice(k, k + opts.perConnection));
  let next = 0;
  const worker = async () => {
    while (next < batches.length) {
      const n = next++;
      await blast(ip, ports[n % ports.length]!, batches[n] ?? []);
    }
  };
  await Promise.all(Array.from({ length: opts.concurrency }, worker));
}

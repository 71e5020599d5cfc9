// The workers' side of the enrollment benchmark, in its own process so the master's process does
// only the master's work (a real worker enrolls from its own machine): reads one JSON line
// {master, tokens: [{token, name}], concurrency, dir} on stdin, runs `decnet-agent enroll`'s
// enrollWithToken for each token `concurrency` at a time, and prints one JSON line
// {ms, failures: [...]} when all are done.
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { enrollWithToken } from '../../agent/enroll';

type Job = Readonly<{
  master: string;
  tokens: Array<{ token: string; name: string }>;
  concurrency: number;
  dir: string;
}>;

const line = await new Promise<string>((resolve) => createInterface({ input: process.stdin }).once('line', resolve));
const job = JSON.parse(line) as Job;
const queue = [...job.tokens];
const failures: string[] = [];
const t0 = performance.now();
await Promise.all(
  Array.from({ length: job.concurrency }, async () => {
    for (let t = queue.shift(); t !== undefined; t = queue.shift()) {
      await enrollWithToken({
        master: job.master,
        token: t.token,
        dir: join(job.dir, t.name),
        name: t.name,
        addresses: ['127.0.0.1'],
      }).catch((err: unknown) => failures.push(`${t.name}: ${(err as Error).message}`));
    }
  }),
);
process.stdout.write(`${JSON.stringify({ ms: performance.now() - t0, failures })}\n`);

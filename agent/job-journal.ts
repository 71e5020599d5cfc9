import { join } from 'node:path';
import { z } from 'zod';
import { DeckyName } from '../shared/domain/decky';
import { LifecycleOperation } from '../shared/domain/lifecycle';
import type { Logger } from '../shared/node/logger';
import { openDurableLog } from './store/durable-log';

export const JOURNAL_FILE = 'jobs.jsonl';
/** Finished jobs remembered for idempotence (a master re-sending a job after its own restart). */
const KEEP_DONE = 5000;

const JobRecord = z.strictObject({
  lifecycleId: z.string().min(1).max(64),
  deckyName: DeckyName,
  operation: LifecycleOperation,
  phase: z.enum(['accepted', 'done']),
  at: z.string(),
});
export type JobRecord = z.output<typeof JobRecord>;
export type Job = Omit<JobRecord, 'phase' | 'at'>;

const keyOf = (j: Pick<Job, 'lifecycleId' | 'deckyName'>) => `${j.lifecycleId}|${j.deckyName}`;

/**
 * The jobs this agent accepted (answered 202 for), on disk before the answer. A job is known by its
 * lifecycle id, so a re-sent request is a no-op; a job accepted but never finished when the agent
 * died is handed back at the next start, to be closed with a delta instead of waiting for the sweep.
 */
export type JobJournal = Readonly<{
  /** The jobs of `jobs` not seen before, recorded as accepted (fsync) before it resolves. */
  accept: (jobs: readonly Job[]) => Promise<Job[]>;
  done: (job: Job) => Promise<void>;
  /** Accepted but not done when this journal was opened: the previous process died mid-job. */
  interrupted: () => Job[];
}>;

export async function openJobJournal(stateDir: string, now: () => Date, log: Logger): Promise<JobJournal> {
  const store = await openDurableLog<JobRecord>({
    path: join(stateDir, JOURNAL_FILE),
    parse: (v) => JobRecord.parse(v),
    idOf: (r) => `${keyOf(r)}|${r.phase}`,
    log,
  });
  const open = new Map<string, Job>();
  const done = new Set<string>();
  const doneOrder: string[] = [];
  for (const r of store.list()) {
    const k = keyOf(r);
    if (r.phase === 'accepted')
      open.set(k, { lifecycleId: r.lifecycleId, deckyName: r.deckyName, operation: r.operation });
    else {
      open.delete(k);
      if (!done.has(k)) doneOrder.push(k);
      done.add(k);
    }
  }
  const interrupted = [...open.values()];
  // Compact: drop the records of finished jobs beyond the idempotence window.
  const stale = doneOrder.slice(0, Math.max(0, doneOrder.length - KEEP_DONE));
  if (stale.length > 0) {
    await store.remove(stale.flatMap((k) => [`${k}|accepted`, `${k}|done`]));
    for (const k of stale) done.delete(k);
  }
  const record = (j: Job, phase: JobRecord['phase']): JobRecord => ({ ...j, phase, at: now().toISOString() });

  return {
    accept: async (jobs) => {
      const fresh = jobs.filter((j) => !open.has(keyOf(j)) && !done.has(keyOf(j)));
      if (fresh.length === 0) return [];
      await store.append(fresh.map((j) => record(j, 'accepted')));
      for (const j of fresh) open.set(keyOf(j), j);
      return fresh;
    },
    done: async (j) => {
      const k = keyOf(j);
      if (done.has(k)) return;
      await store.append([record(j, 'done')]);
      open.delete(k);
      done.add(k);
    },
    interrupted: () => interrupted.slice(),
  };
}

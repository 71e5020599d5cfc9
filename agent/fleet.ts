import type { z } from 'zod';
import type { AgentStatus, DeckyRuntimeState } from '../shared/domain/agent-status';
import { DeckyConfig, withServices } from '../shared/domain/decky';
import type { Logger } from '../shared/node/logger';
import { AppError, describeZodError, toAppError } from '../shared/errors';
import type { DeployRequest, MutateRequest } from '../shared/protocol/agent-api';
import type { Clock } from './clock';
import type { DeltaReporter } from './deltas';
import type { Job, JobJournal } from './job-journal';
import type { Runtime } from './runtime/types';
import type { StateStore } from './store/state';
import type { TaskQueue } from './task-queue';

/** How long self-destruct lets queued deploys/mutates finish before it tears down regardless. */
export const WIPE_WAIT_MS = 10_000;

export type Fleet = Readonly<{
  /** Checks that a decky can run on this worker (dry run), without any side effect. */
  checkDeploy: (decky: DeckyConfig) => void;
  /**
   * Records one job per decky in the journal (on disk before the 202), then queues its task;
   * a decky whose lifecycle id was already accepted is not queued again (a re-sent request).
   */
  deploy: (req: z.output<typeof DeployRequest>) => Promise<string[]>;
  /** Checks a mutate against the recorded state without any side effect. */
  checkMutate: (req: z.output<typeof MutateRequest>) => Promise<DeckyConfig>;
  mutate: (req: z.output<typeof MutateRequest>) => Promise<void>;
  teardown: (req: { deckyId?: string | undefined; lifecycleId?: string | undefined }) => Promise<string[]>;
  status: () => Promise<AgentStatus>;
  /**
   * At start: closes every job the previous process accepted but never finished with a failed
   * delta (it will never finish: the runtime of that process is gone), so no row waits for the sweep.
   */
  recover: () => Promise<number>;
  /** Stops every fleet decky and clears the state (self-destruct). */
  wipe: () => Promise<void>;
}>;

/**
 * The fleet deckies the master deployed here. Requests return at once; the work runs on the task
 * queue, one task per decky, and each task ends with exactly one lifecycle delta.
 */
export function createFleet(opts: {
  state: StateStore;
  runtime: Runtime;
  queue: TaskQueue;
  report: DeltaReporter;
  journal: JobJournal;
  clock: Clock;
  log: Logger;
}): Fleet {
  const { state, runtime, queue, journal, log } = opts;
  // Every task ends with its delta in the outbox, then its job marked done in the journal.
  const report: DeltaReporter = async (d) => {
    await opts.report(d);
    if (d.lifecycleId)
      await journal
        .done({ lifecycleId: d.lifecycleId, deckyName: d.deckyName, operation: d.operation })
        .catch((err: unknown) => log.error('cannot mark a job done in the journal', { err: toAppError(err).message }));
  };
  /** True when the job is new (or carries no lifecycle id, so cannot be recognised). */
  const accept = async (
    operation: Job['operation'],
    lifecycleIdOf: (name: string) => string | undefined,
    names: readonly string[],
  ) => {
    const jobs = names.flatMap((deckyName) => {
      const lifecycleId = lifecycleIdOf(deckyName);
      return lifecycleId ? [{ lifecycleId, deckyName, operation }] : [];
    });
    const fresh = new Set((await journal.accept(jobs)).map((j) => j.deckyName));
    return (name: string): boolean => lifecycleIdOf(name) === undefined || fresh.has(name);
  };

  const checkMutate: Fleet['checkMutate'] = async (req) => {
    const current = await state.load();
    if (!current || current.deckies.length === 0)
      throw new AppError('NOT_FOUND', 'no active deployment on this worker');
    const old = current.deckies.find((d) => d.name === req.deckyId);
    if (!old) throw new AppError('NOT_FOUND', `decky '${req.deckyId}' not found in worker state`);
    const parsed = DeckyConfig.safeParse({
      ...withServices(old, req.services),
      lastMutated: opts.clock.now().getTime(),
    });
    if (!parsed.success)
      throw new AppError('INVALID_INPUT', `mutate of ${req.deckyId}: ${describeZodError(parsed.error)}`);
    runtime.validate(parsed.data);
    return parsed.data;
  };

  return {
    deploy: async (req) => {
      req.config.deckies.forEach((d) => runtime.validate(d));
      const names = req.config.deckies.map((d) => d.name);
      const idOf = (name: string) => req.lifecycleIds?.[name];
      const isNew = await accept('deploy', idOf, names);
      for (const decky of req.config.deckies) {
        const lifecycleId = idOf(decky.name);
        if (!isNew(decky.name)) {
          log.info('deploy already accepted under this lifecycle id: not queued again', {
            decky: decky.name,
            lifecycleId,
          });
          continue;
        }
        void queue.run(decky.name, async () => {
          try {
            await runtime.up(decky);
            await state.update((s) => ({ ...s, deckies: [...s.deckies.filter((d) => d.name !== decky.name), decky] }));
            await report({ deckyName: decky.name, operation: 'deploy', lifecycleId });
          } catch (err) {
            log.warn('deploy failed', { decky: decky.name, err: toAppError(err).message });
            await report({ deckyName: decky.name, operation: 'deploy', lifecycleId, error: err });
          }
        });
      }
      return names;
    },
    checkDeploy: (decky) => runtime.validate(decky),
    checkMutate,
    mutate: async (req) => {
      const isNew = await accept('mutate', () => req.lifecycleId, [req.deckyId]);
      if (!isNew(req.deckyId)) return;
      void queue.run(req.deckyId, async () => {
        let old: DeckyConfig | undefined;
        try {
          const next = await checkMutate(req);
          old = (await state.load())?.deckies.find((d) => d.name === req.deckyId);
          await runtime.up(next);
          // State follows the runtime: a failed mutate leaves the old services recorded (unlike the original, its §13.17).
          await state.update((s) => ({ ...s, deckies: s.deckies.map((d) => (d.name === next.name ? next : d)) }));
          await report({ deckyName: req.deckyId, operation: 'mutate', lifecycleId: req.lifecycleId });
        } catch (err) {
          log.warn('mutate failed', { decky: req.deckyId, err: toAppError(err).message });
          if (old)
            await runtime.up(old).catch((e: unknown) =>
              log.error('cannot restore the decky after a failed mutate', {
                decky: req.deckyId,
                err: toAppError(e).message,
              }),
            );
          await report({ deckyName: req.deckyId, operation: 'mutate', lifecycleId: req.lifecycleId, error: err });
        }
      });
    },
    teardown: async (req) => {
      const names =
        req.deckyId !== undefined ? [req.deckyId] : ((await state.load())?.deckies.map((d) => d.name) ?? []);
      const isNew = await accept('teardown', () => req.lifecycleId, names);
      for (const name of names) {
        if (!isNew(name)) continue;
        void queue.run(name, async () => {
          try {
            // Runtime AND state: no ghost decky is left to be reported back (the original's §13.7).
            await runtime.down(name);
            await state.update((s) => ({ ...s, deckies: s.deckies.filter((d) => d.name !== name) }));
            await report({ deckyName: name, operation: 'teardown', lifecycleId: req.lifecycleId });
          } catch (err) {
            await report({ deckyName: name, operation: 'teardown', lifecycleId: req.lifecycleId, error: err });
          }
        });
      }
      return names;
    },
    recover: async () => {
      const jobs = journal.interrupted();
      for (const job of jobs) {
        // A deploy cut short leaves no decky behind: the master frees its name and address.
        if (job.operation === 'deploy')
          await state.update((st) => ({ ...st, deckies: st.deckies.filter((d) => d.name !== job.deckyName) }));
        const error = new AppError(
          'INTERNAL',
          `interrupted: the agent restarted before the ${job.operation} of ${job.deckyName} finished; retry it`,
        );
        await report({ ...job, error });
      }
      if (jobs.length > 0)
        log.warn('jobs interrupted by the previous agent process closed as failed', { count: jobs.length });
      return jobs.length;
    },
    status: async () => {
      const deckies = (await state.load())?.deckies ?? [];
      const rt = runtime.status();
      const stopped = (d: DeckyConfig): DeckyRuntimeState => ({
        running: false,
        restarts: 0,
        services: Object.fromEntries(d.services.map((s) => [s, 'stopped' as const])),
      });
      return {
        deployed: deckies.length > 0,
        deckies,
        runtime: Object.fromEntries(deckies.map((d) => [d.name, rt[d.name] ?? stopped(d)])),
      };
    },
    wipe: async () => {
      // A hung deploy must not block a decommission: wait a bounded time, then tear down anyway.
      let timer: NodeJS.Timeout | undefined;
      const waited = await Promise.race([
        queue.idle().then(() => true),
        new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), WIPE_WAIT_MS))),
      ]);
      clearTimeout(timer);
      if (!waited) log.warn('self-destruct proceeds while tasks are still running', { pending: queue.pending() });
      const deckies = (await state.load())?.deckies ?? [];
      for (const d of deckies)
        await runtime
          .down(d.name)
          .catch((err: unknown) =>
            log.warn('teardown failed during self-destruct', { decky: d.name, err: toAppError(err).message }),
          );
      await state.update((s) => ({ ...s, deckies: [] }));
    },
  };
}

import { randomUUID } from 'node:crypto';
import { AppError } from '../../shared/errors';
import type { Logger } from '../../shared/node/logger';
import { type PushUpdateRequest, UpdateJob } from '../../shared/protocol/updater-api';
import { writeFileAtomic } from '../../shared/node/atomic-file';
import { readFile } from 'node:fs/promises';
import type { AgentRunner } from './agent-runner';
import type { HealthProbe } from './health-probe';
import {
  installRelease,
  linkedVersion,
  listReleases,
  pruneReleases,
  releaseLayout,
  switchBack,
  switchCurrent,
} from './release-store';
import { verifyRelease } from './release-verify';

/** The job file's content, or null when there is none or it is not a job (then nothing is resumed). */
async function readJob(path: string): Promise<UpdateJob | null> {
  try {
    const parsed = UpdateJob.safeParse(JSON.parse(await readFile(path, 'utf8')));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

export type UpdaterTiming = Readonly<{
  /** The new agent must answer /health with the new version within this (the 60 s). */
  healthTimeoutMs: number;
  /** After that, the crash-loop watch (10 min): the job ends succeeded when it passes. */
  watchMs: number;
  probeIntervalMs: number;
  /** Agent exits, or failed probes in a row, that count as a crash loop. */
  crashLimit: number;
}>;

export const defaultTiming: UpdaterTiming = {
  healthTimeoutMs: 60_000,
  watchMs: 600_000,
  probeIntervalMs: 2_000,
  crashLimit: 3,
};

export type UpdaterOptions = Readonly<{
  installRoot: string;
  caPem: string;
  runner: AgentRunner;
  probe: HealthProbe;
  log: Logger;
  version: string;
  timing?: Partial<UpdaterTiming>;
  /** Where the job under way is kept, so an updater restarted mid-update rolls it back (`start`). */
  jobFile?: string;
}>;

export type Updater = ReturnType<typeof createUpdater>;

const KEEP_JOBS = 50;

/**
 * The update flow, one job at a time: verify (nothing on disk on refusal), install side by side,
 * switch `current`, restart the agent, wait for /health to report the new version, then watch for
 * a crash loop. A failure at any step switches back, restarts the previous release and ends the
 * job `rolled_back` with the reason (or `failed` when there is nothing to go back to).
 */
export function createUpdater(o: UpdaterOptions) {
  const t: UpdaterTiming = { ...defaultTiming, ...o.timing };
  const layout = releaseLayout(o.installRoot);
  const log = o.log.child({ component: 'updater' });
  const jobs = new Map<string, UpdateJob>();
  let active: { job: UpdateJob; cancelWatch: () => void } | null = null;
  let closed = false;

  const iso = (ms: number) => new Date(ms).toISOString();
  // One write at a time, in order: the file always holds the job's latest state.
  let writes: Promise<void> = Promise.resolve();
  const persist = (job: UpdateJob) => {
    const { jobFile } = o;
    if (!jobFile) return;
    const text = JSON.stringify(job);
    writes = writes
      .then(() => writeFileAtomic(jobFile, text, 0o600))
      .catch((e: unknown) => log.warn('cannot save the update job', { error: (e as Error).message }));
  };
  const set = (job: UpdateJob, patch: Partial<UpdateJob>): UpdateJob => {
    Object.assign(job, patch);
    persist(job);
    if (patch.state === 'succeeded' || patch.state === 'failed' || patch.state === 'rolled_back') {
      job.finishedAt = iso(Date.now());
      if (active?.job === job) active = null;
      log.info('update job finished', { id: job.id, state: job.state, to: job.toVersion, reason: job.reason });
    }
    return job;
  };
  const remember = (job: UpdateJob) => {
    jobs.set(job.id, job);
    for (const id of jobs.keys()) if (jobs.size > KEEP_JOBS) jobs.delete(id);
  };
  const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

  /** Probes until /health reports `version`, the deadline passes, or the agent crash-loops. */
  const waitHealthy = async (version: string, deadline: number, since: number): Promise<string | null> => {
    let last = 'no answer yet';
    while (!closed) {
      const p = await o.probe.probe();
      if (p.ok && p.version === version) return null;
      last = p.ok ? `it reports ${p.version}` : p.error;
      if (o.runner.exitsSince(since) >= t.crashLimit)
        return `the agent exited ${o.runner.exitsSince(since)} times (crash loop; last probe: ${last})`;
      if (Date.now() >= deadline)
        return `the agent did not report ${version} on /health within ${Math.round(t.healthTimeoutMs / 1000)} s (last probe: ${last})`;
      await pause(Math.min(t.probeIntervalMs, Math.max(0, deadline - Date.now())));
    }
    return 'the updater is stopping';
  };

  /** Healthy on `version`: watch for a crash loop until the window ends; a loop is a reason. */
  const watch = (job: UpdateJob): { done: Promise<string | null>; cancel: () => void } => {
    let cancelled = false;
    const since = Date.now();
    const end = since + t.watchMs;
    const done = (async () => {
      let failures = 0;
      while (!cancelled && !closed && Date.now() < end) {
        await pause(Math.min(t.probeIntervalMs, Math.max(0, end - Date.now())));
        if (cancelled || closed) return null;
        const p = await o.probe.probe();
        failures = p.ok && p.version === job.toVersion ? 0 : failures + 1;
        const exits = o.runner.exitsSince(since);
        if (failures >= t.crashLimit || exits >= t.crashLimit)
          return `crash loop after the update: ${exits} agent exits, ${failures} failed probes in a row (last: ${p.ok ? p.version : p.error})`;
      }
      return null;
    })();
    return { done, cancel: () => (cancelled = true) };
  };

  const rollBackTo = async (job: UpdateJob, previous: string | null, reason: string): Promise<void> => {
    if (previous === null) {
      set(job, { state: 'failed', reason: `${reason}; no previous release to roll back to` });
      return;
    }
    try {
      await switchBack(layout, previous, job.toVersion);
      const since = Date.now();
      await o.runner.restart();
      const again = await waitHealthy(previous, Date.now() + t.healthTimeoutMs, since);
      if (again)
        set(job, { state: 'failed', reason: `${reason}; rolled back to ${previous}, which failed too: ${again}` });
      else set(job, { state: 'rolled_back', reason: `${reason}; rolled back to ${previous}` });
    } catch (err) {
      set(job, { state: 'failed', reason: `${reason}; rollback to ${previous} failed: ${(err as Error).message}` });
    }
  };

  const run = async (job: UpdateJob): Promise<void> => {
    let previous: string | null = null;
    try {
      previous = await switchCurrent(layout, job.toVersion);
      const since = Date.now();
      await o.runner.restart();
      const unhealthy = await waitHealthy(job.toVersion, Date.parse(job.deadline), since);
      // Stopping mid-job changes nothing more: the job file says it is unconfirmed, and the next
      // updater's start() rolls it back.
      if (closed) return;
      if (unhealthy) return await rollBackTo(job, previous, unhealthy);
      const w = watch(job);
      set(job, { state: 'watching', deadline: iso(Date.now() + t.watchMs) });
      if (active?.job === job) active.cancelWatch = w.cancel;
      const loop = await w.done;
      if (closed) return;
      if (loop) return await rollBackTo(job, previous, loop);
      if (job.state === 'watching') set(job, { state: 'succeeded' });
    } catch (err) {
      if (!closed) await rollBackTo(job, previous, `update step failed: ${(err as Error).message}`);
    } finally {
      // Not while a newer job runs: its release is not current yet and must not be pruned.
      if (!active && !closed)
        await pruneReleases(layout).catch((e: unknown) => log.warn('prune failed', { error: (e as Error).message }));
    }
  };

  const begin = async (kind: UpdateJob['kind'], toVersion: string): Promise<UpdateJob> => {
    const now = Date.now();
    const job: UpdateJob = {
      id: randomUUID(),
      kind,
      state: 'running',
      fromVersion: await linkedVersion(layout.current),
      toVersion,
      startedAt: iso(now),
      deadline: iso(now + t.healthTimeoutMs),
      finishedAt: null,
      reason: null,
    };
    remember(job);
    persist(job);
    active = { job, cancelWatch: () => undefined };
    log.info('update job started', { id: job.id, kind, from: job.fromVersion, to: toVersion });
    void run(job);
    return { ...job };
  };

  /** A running job (or one being unpacked) refuses another; `starting` covers the await gap before begin. */
  let starting = false;
  const refuseIfBusy = () => {
    if (closed) throw new AppError('CONFLICT', 'the updater is stopping');
    if (starting) throw new AppError('CONFLICT', 'another update is being unpacked');
    if (active?.job.state === 'running')
      throw new AppError('CONFLICT', `update job ${active.job.id} to ${active.job.toVersion} is still running`);
  };
  /** A watching job is ended succeeded: the new job supersedes it (only once the new one is sound). */
  const endWatch = () => {
    if (!active) return;
    active.cancelWatch();
    set(active.job, { state: 'succeeded', reason: 'watch ended early by a newer job' });
  };
  const exclusively = async (fn: () => Promise<UpdateJob>): Promise<UpdateJob> => {
    refuseIfBusy();
    starting = true;
    try {
      return await fn();
    } finally {
      starting = false;
    }
  };

  return {
    version: o.version,
    push: (req: PushUpdateRequest): Promise<UpdateJob> =>
      exclusively(async () => {
        const release = await verifyRelease({
          tarball: Buffer.from(req.tarballBase64, 'base64'),
          sha256: req.sha256,
          signatureBase64: req.signatureBase64,
          releaseKeyPem: req.releaseKeyPem,
          endorsementBase64: req.endorsementBase64,
          caPem: o.caPem,
        });
        await installRelease(layout, release);
        endWatch();
        return begin('update', release.version);
      }),
    rollback: (): Promise<UpdateJob> =>
      exclusively(async () => {
        const previous = await linkedVersion(layout.previous);
        if (!previous) throw new AppError('NOT_FOUND', 'no previous release to roll back to');
        endWatch();
        return begin('rollback', previous);
      }),
    job(id: string): UpdateJob {
      const job = jobs.get(id);
      if (!job) throw new AppError('NOT_FOUND', `no update job ${id}`);
      return { ...job };
    },
    latest: (): UpdateJob | null => {
      const last = [...jobs.values()].at(-1);
      return last ? { ...last } : null;
    },
    current: () => linkedVersion(layout.current),
    previous: () => linkedVersion(layout.previous),
    async releases() {
      const [cur, prev] = [await linkedVersion(layout.current), await linkedVersion(layout.previous)];
      return (await listReleases(layout)).map((v) => ({ version: v, current: v === cur, previous: v === prev }));
    },
    /**
     * At start-up: a job the last updater left running or watching was never confirmed, so it is
     * rolled back (the previous release restarted, the job ends rolled_back); otherwise the agent of
     * `current` is started when `startAgent` (supervise mode).
     */
    async start(opts: { startAgent: boolean }): Promise<void> {
      const left = o.jobFile ? await readJob(o.jobFile) : null;
      if (left && (left.state === 'running' || left.state === 'watching')) {
        remember(left);
        const current = await linkedVersion(layout.current);
        const reason = `the updater stopped before the update to ${left.toVersion} was confirmed`;
        log.warn('rolling back an interrupted update job', { id: left.id, to: left.toVersion });
        if (current === left.toVersion) return rollBackTo(left, left.fromVersion, reason);
        set(left, { state: 'failed', reason: `${reason}; current is ${current ?? 'none'}, left as it is` });
      }
      if (opts.startAgent && (await linkedVersion(layout.current))) await o.runner.restart();
    },
    async close(): Promise<void> {
      closed = true;
      active?.cancelWatch();
      await writes;
      await o.runner.close();
      await o.probe.close();
    },
  };
}

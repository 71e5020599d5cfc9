import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AppError } from '../../shared/errors';
import { writeFileAtomic } from '../../shared/node/atomic-file';
import type { Logger } from '../../shared/node/logger';
import { type PushUpdateRequest, UpdateJob } from '../../shared/protocol/updater-api';
import type { ParentChannel } from './launcher-ipc';
import { installRelease, linkedVersion, pointLink, releaseLayout } from './release-store';
import { verifyRelease } from './release-verify';

/** The self-update job file, shared with the launcher (it writes the rollback). */
export const selfJobFile = (stateDir: string) => join(stateDir, 'updater', 'self-job.json');

export async function readSelfJob(path: string): Promise<UpdateJob | null> {
  try {
    const parsed = UpdateJob.safeParse(JSON.parse(await readFile(path, 'utf8')));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

export type SelfUpdater = ReturnType<typeof createSelfUpdater>;

/**
 * `/update-self`: the release is verified exactly as a push (verifyRelease), installed side by
 * side, and the `updater` link (the launcher starts the updater from it) switched to it; then the
 * updater tells the launcher and exits. The agent is not touched. The launcher confirms the new
 * updater once its /health reports the new version, or switches the link back and starts the
 * previous one, which finds the job ended rolled_back (design §6).
 */
export function createSelfUpdater(o: {
  installRoot: string;
  caPem: string;
  version: string;
  jobFile: string;
  healthTimeoutMs: number;
  /** Null without a launcher: then update-self is refused (nothing could fall back). */
  channel: ParentChannel | null;
  /** True while an agent update job runs: one job at a time. */
  busy: () => string | null;
  /** Stops the API and exits this process (the launcher starts the new updater). */
  exit: () => void;
  log: Logger;
}) {
  const layout = releaseLayout(o.installRoot);
  const log = o.log.child({ component: 'self-update' });
  let job: UpdateJob | null = null;
  let starting = false;
  const iso = (ms: number) => new Date(ms).toISOString();
  const save = (j: UpdateJob) => writeFileAtomic(o.jobFile, JSON.stringify(j), 0o600);

  /** The release dir for a verified release: reused when that exact tarball is already there. */
  const ensureInstalled = async (r: Awaited<ReturnType<typeof verifyRelease>>): Promise<void> => {
    const there = await readFile(join(layout.releases, r.version, '.sha256'), 'utf8').catch(() => null);
    if (there?.trim() === r.sha256) return;
    if ((await linkedVersion(layout.updater)) === r.version)
      throw new AppError('CONFLICT', `release ${r.version} is already the updater's release`);
    await installRelease(layout, r);
  };

  o.channel?.on((m) => {
    if (m.t !== 'self-confirmed' || job?.id !== m.jobId || job.state !== 'running') return;
    job = { ...job, state: 'succeeded', finishedAt: iso(Date.now()) };
    log.info('updater self-update confirmed', { id: job.id, to: job.toVersion });
    void save(job).catch((e: unknown) => log.warn('cannot save the self-update job', { error: String(e) }));
  });

  return {
    push: async (req: PushUpdateRequest): Promise<UpdateJob> => {
      if (!o.channel)
        throw new AppError(
          'CONFLICT',
          'update-self needs the updater launcher (decnet-agent updater-launcher, as decnet-updater.service runs it)',
        );
      const other = o.busy();
      if (other) throw new AppError('CONFLICT', other);
      if (starting || job?.state === 'running') throw new AppError('CONFLICT', 'an updater self-update is under way');
      starting = true;
      try {
        const release = await verifyRelease({
          tarball: Buffer.from(req.tarballBase64, 'base64'),
          sha256: req.sha256,
          signatureBase64: req.signatureBase64,
          releaseKeyPem: req.releaseKeyPem,
          endorsementBase64: req.endorsementBase64,
          caPem: o.caPem,
        });
        if (release.version === o.version)
          throw new AppError('CONFLICT', `the updater already runs release ${release.version}`);
        await ensureInstalled(release);
        const now = Date.now();
        const fromVersion = (await linkedVersion(layout.updater)) ?? (await linkedVersion(layout.current));
        const next: UpdateJob = {
          id: randomUUID(),
          kind: 'update-self',
          state: 'running',
          fromVersion,
          toVersion: release.version,
          startedAt: iso(now),
          deadline: iso(now + o.healthTimeoutMs),
          finishedAt: null,
          reason: null,
        };
        // Job first, then the links: a crash in between leaves a job the launcher can settle.
        await save(next);
        if (fromVersion) await pointLink(layout, layout.updaterPrevious, fromVersion);
        await pointLink(layout, layout.updater, release.version);
        job = next;
        log.info('updater self-update started', { id: next.id, from: fromVersion, to: release.version });
        o.channel.send({
          t: 'self-update',
          jobId: next.id,
          fromVersion: fromVersion ?? o.version,
          toVersion: release.version,
          deadlineMs: now + o.healthTimeoutMs,
        });
        // After the 202 has been written: the server's stop lets the answer finish.
        setImmediate(o.exit);
        return { ...next };
      } finally {
        starting = false;
      }
    },
    /** At start: the last self-update job, kept so the master can follow it across the restart. */
    async start(): Promise<void> {
      job = await readSelfJob(o.jobFile);
      // Running, yet this is not its release: the launcher went away before settling it.
      if (job?.state === 'running' && job.toVersion !== o.version) {
        job = {
          ...job,
          state: 'failed',
          finishedAt: iso(Date.now()),
          reason: `the updater runs ${o.version}, not ${job.toVersion}; the launcher did not settle the job`,
        };
        await save(job);
      }
    },
    job: (id: string): UpdateJob | null => (job?.id === id ? { ...job } : null),
    latest: (): UpdateJob | null => (job ? { ...job } : null),
  };
}

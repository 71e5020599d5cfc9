import { randomUUID, verify } from 'node:crypto';
import { join } from 'node:path';
import type { HostUpdateView, Rollout, UpdateResult } from '../../../shared/domain/agent-update';
import { AppError, toAppError } from '../../../shared/errors';
import type { Logger } from '../../../shared/node/logger';
import type { TlsIdentity } from '../../../shared/node/tls';
import { terminalJobStates, type UpdateJob } from '../../../shared/protocol/updater-api';
import type { MasterEventBus } from '../bus';
import type { CertificateAuthority } from '../ca';
import type { HostRecord } from '../store/schema';
import type { Store } from '../store/store';
import { ensureReleaseKey, spkiDerOf } from './release-key';
import { releaseToPush, type ChosenRelease, type Release } from './release-source';
import { createUpdaterClient, type UpdaterClient } from './updater-client';

type Deps = Readonly<{
  store: Store;
  ca: CertificateAuthority;
  identity: TlsIdentity;
  dataDir: string;
  agentPackageDir: string;
  updaterPort: number;
  verifyHostname: boolean;
  events: MasterEventBus;
  log: Logger;
  /** How often a job under way is polled on its updater. */
  pollMs?: number;
}>;

/** master.json settings key: hostUuid → the last UpdateResult. */
const RESULTS_KEY = 'agentUpdates';
const isTerminal = (j: UpdateJob) => (terminalJobStates as readonly string[]).includes(j.state);

/**
 * hosts.update / hosts.updateAll / hosts.updates: pushes a signed release to each worker's
 * updater, follows the job until it ends, and keeps each host's last result. The release key
 * stays in `<dataDir>/ca`; only its public half and the CA's endorsement leave this process.
 */
export function createUpdateService(d: Deps) {
  const log = d.log.child({ component: 'updates' });
  const pollMs = d.pollMs ?? 1000;
  const under = new Map<string, { state: HostUpdateView['state']; job: UpdateJob | null }>();
  let rollout: Rollout | null = null;

  const results = (): Record<string, UpdateResult> => {
    const v = d.store.settings.get(RESULTS_KEY);
    return v && typeof v === 'object' ? (v as Record<string, UpdateResult>) : {};
  };
  const record = (hostUuid: string, r: UpdateResult) => {
    d.store.settings.set(RESULTS_KEY, { ...results(), [hostUuid]: r });
    d.events.emit('hosts.changed', { hostUuids: [hostUuid] });
  };
  /**
   * The console's own check before any worker is contacted: a package signed with another key (built
   * with another DECNET_DATA_DIR) would be refused by every updater, so say so here, with the fix.
   */
  const checkSigned = async (release: Release) => {
    const key = await ensureReleaseKey(join(d.dataDir, 'ca'));
    const signature = Buffer.from(release.signatureBase64, 'base64');
    if (signature.length === 0 || !verify(null, release.tarball, key.publicKeyPem, signature))
      throw new AppError(
        'INVALID_INPUT',
        `${release.fileName} is not signed with this console's release key: build it with DECNET_DATA_DIR=${d.dataDir} npm run package:agent`,
      );
  };
  const proof = async () => {
    const key = await ensureReleaseKey(join(d.dataDir, 'ca'));
    const endorsement = await d.ca.endorseReleaseKey(spkiDerOf(key.publicKeyPem));
    return { releaseKeyPem: key.publicKeyPem, endorsementBase64: endorsement.toString('base64') };
  };
  const clientFor = (h: HostRecord): UpdaterClient => {
    if (!h.address || !h.fingerprint) throw new AppError('CONFLICT', `host ${h.name} has no address to reach`);
    return createUpdaterClient({
      identity: d.identity,
      host: { name: h.name, address: h.address, port: d.updaterPort, fingerprint: h.fingerprint },
      verifyHostname: d.verifyHostname,
    });
  };
  const updatable = (uuid: string): HostRecord => {
    const h = d.store.hosts.requireUsable(uuid);
    if (h.local) throw new AppError('CONFLICT', `${h.name} is the console's own agent: it is updated with the console`);
    return h;
  };

  /** Polls the job until it ends (or, with `untilHealthy`, until the new agent answers); never throws. */
  const follow = async (h: HostRecord, client: UpdaterClient, job: UpdateJob, untilHealthy: boolean) => {
    let last = job;
    let failures = 0;
    const giveUp = () => Date.parse(last.deadline) + 60_000;
    try {
      while (!isTerminal(last) && !(untilHealthy && last.state === 'watching')) {
        await new Promise((r) => setTimeout(r, pollMs));
        try {
          last = await client.job(job.id);
          failures = 0;
          under.set(h.uuid, { state: last.state === 'watching' ? 'watching' : 'running', job: last });
        } catch (err) {
          // The updater is away only while it restarts itself (update-self), so a run of failures past
          // the deadline is lost contact.
          if (++failures > 3 && Date.now() > giveUp()) {
            last = { ...last, state: 'failed', reason: `lost contact with the updater: ${toAppError(err).message}` };
          }
        }
      }
      return last;
    } finally {
      if (isTerminal(last)) {
        under.delete(h.uuid);
        record(h.uuid, {
          state: last.state as UpdateResult['state'],
          toVersion: last.toVersion,
          reason: last.reason,
          finishedAt: last.finishedAt ?? new Date().toISOString(),
        });
        log.info('agent update finished', { host: h.name, state: last.state, reason: last.reason });
      }
      if (!untilHealthy || isTerminal(last)) await client.close();
      else void follow(h, client, last, false);
    }
  };

  /** Pushes `release` to one host; resolves with the accepted job (or throws the updater's refusal). */
  const push = async (
    h: HostRecord,
    release: Release,
    self = false,
  ): Promise<{ client: UpdaterClient; job: UpdateJob }> => {
    if (under.has(h.uuid)) throw new AppError('CONFLICT', `${h.name} is already being updated`);
    under.set(h.uuid, { state: 'pushing', job: null });
    const client = clientFor(h);
    try {
      const args = [release.tarball, release.sha256, release.signatureBase64, await proof()] as const;
      const job = self ? await client.updateSelf(...args) : await client.pushUpdate(...args);
      under.set(h.uuid, { state: job.state === 'watching' ? 'watching' : 'running', job });
      log.info('agent update pushed', { host: h.name, release: release.fileName, job: job.id });
      return { client, job };
    } catch (err) {
      under.delete(h.uuid);
      await client.close();
      const e = toAppError(err);
      record(h.uuid, { state: 'failed', toVersion: null, reason: e.message, finishedAt: new Date().toISOString() });
      throw e;
    }
  };

  const runRollout = async (r: Rollout, hosts: HostRecord[], release: Release) => {
    const finish = (state: Rollout['state'], failed: Rollout['failed']) => {
      Object.assign(r, { state, failed, finishedAt: new Date().toISOString() });
      log.info('rollout finished', { id: r.id, state, failed });
    };
    for (let i = 0; i < hosts.length; i += r.waveSize) {
      const wave = hosts.slice(i, i + r.waveSize);
      const outcomes = await Promise.all(
        wave.map(async (h) => {
          try {
            const { client, job } = await push(h, release);
            const end = await follow(h, client, job, true);
            return end.state === 'watching' || end.state === 'succeeded'
              ? null
              : { hostUuid: h.uuid, reason: `${h.name}: ${end.state}: ${end.reason ?? ''}` };
          } catch (err) {
            return { hostUuid: h.uuid, reason: `${h.name}: ${toAppError(err).message}` };
          }
        }),
      );
      r.pending = r.pending.filter((u) => !wave.some((h) => h.uuid === u));
      r.updated.push(...wave.filter((h) => !outcomes.some((o) => o?.hostUuid === h.uuid)).map((h) => h.uuid));
      const failed = outcomes.find((o) => o !== null);
      if (failed) return finish('stopped', failed);
    }
    finish('done', null);
  };

  return {
    async update(hostUuid: string, chosen?: ChosenRelease): Promise<UpdateJob> {
      const h = updatable(hostUuid);
      const release = await releaseToPush(d.agentPackageDir, chosen);
      await checkSigned(release);
      const { client, job } = await push(h, release);
      void follow(h, client, job, false);
      return job;
    },
    /** update-self: the updater restarts into the release; followed like an update (it is away briefly). */
    async updateSelf(hostUuid: string, chosen?: ChosenRelease): Promise<UpdateJob> {
      const h = updatable(hostUuid);
      const release = await releaseToPush(d.agentPackageDir, chosen);
      await checkSigned(release);
      const { client, job } = await push(h, release, true);
      void follow(h, client, job, false);
      return job;
    },
    async updateAll(o: { waveSize?: number; release?: ChosenRelease }): Promise<Rollout> {
      if (rollout?.state === 'running') throw new AppError('CONFLICT', `rollout ${rollout.id} is still running`);
      const hosts = d.store.hosts
        .list()
        .filter((h) => d.store.hosts.isUsable(h) && !h.local)
        .sort((a, b) => a.name.localeCompare(b.name));
      if (hosts.length === 0) throw new AppError('NOT_FOUND', 'no enrolled worker to update');
      const release = await releaseToPush(d.agentPackageDir, o.release);
      await checkSigned(release);
      const r: Rollout = {
        id: randomUUID(),
        state: 'running',
        waveSize: o.waveSize ?? 1,
        release: release.fileName,
        updated: [],
        pending: hosts.map((h) => h.uuid),
        failed: null,
        startedAt: new Date().toISOString(),
        finishedAt: null,
      };
      rollout = r;
      void runRollout(r, hosts, release).catch((err: unknown) =>
        Object.assign(r, { state: 'stopped', failed: { hostUuid: hosts[0]!.uuid, reason: toAppError(err).message } }),
      );
      return { ...r };
    },
    status(): { hosts: HostUpdateView[]; rollout: Rollout | null } {
      const last = results();
      const hosts = d.store.hosts
        .list()
        .filter((h) => d.store.hosts.isUsable(h) && !h.local)
        .map((h) => ({
          hostUuid: h.uuid,
          name: h.name,
          agentVersion: h.agentVersion,
          state: under.get(h.uuid)?.state ?? 'idle',
          job: under.get(h.uuid)?.job ?? null,
          lastResult: last[h.uuid] ?? null,
        }));
      return { hosts, rollout: rollout ? { ...rollout } : null };
    },
  };
}

export type UpdateService = ReturnType<typeof createUpdateService>;

import type { z } from 'zod';
import { randomUUID } from 'node:crypto';
import { canonicalHash } from '../../../shared/canonical-hash';
import type { TopologyReport } from '../../../shared/domain/agent-status';
import type { HydratedTopology } from '../../../shared/domain/topology';
import { assertValidTopology } from '../../../shared/domain/topology-rules';
import type { TopologyDraft } from '../../../shared/ipc/contract';
import { AppError, toAppError } from '../../../shared/errors';
import type { Logger } from '../../../shared/node/logger';
import type { AgentPool } from '../agents/agent-pool';
import { iso, type Clock } from '../clock';
import type { MasterEventBus } from '../bus';
import type { HostRecord, TopologyRecord } from '../store/schema';
import type { Store } from '../store/store';

type Status = HydratedTopology['topology']['status'];
type Draft = z.output<typeof TopologyDraft>;

/** Topologies: CRUD with validation, apply/teardown through the AgentClient, one resync per drift. */
export function createTopologyService(
  deps: Readonly<{
    store: Store;
    agents: AgentPool;
    events: MasterEventBus;
    clock: Clock;
    log: Logger;
    defer: (fn: () => Promise<void>) => void;
  }>,
) {
  const { store, events, log } = deps;
  const resyncing = new Set<string>();
  const rearmedAt = new Map<string, number>();

  const need = (id: string): TopologyRecord => {
    const t = store.topologies.get(id);
    if (!t) throw new AppError('NOT_FOUND', `no topology ${id}`);
    return t;
  };
  const hostOf = (uuid: string): HostRecord => store.hosts.requireUsable(uuid);
  const save = (t: TopologyRecord, patch: Partial<TopologyRecord>, status?: Status) => {
    const next: TopologyRecord = { ...t, ...patch };
    if (status)
      next.hydrated = {
        ...next.hydrated,
        topology: { ...next.hydrated.topology, status, updatedAt: iso(deps.clock.now()) },
      };
    store.topologies.put(next);
    events.emit('topologies.changed', { topologyIds: [t.hydrated.topology.id] });
    return next;
  };
  const item = (t: TopologyRecord) => ({
    id: t.hydrated.topology.id,
    name: t.hydrated.topology.name,
    targetHostUuid: t.hydrated.topology.targetHostUuid,
    status: t.hydrated.topology.status,
    versionHash: canonicalHash(t.hydrated),
    appliedHash: t.appliedHash,
    deckyCount: t.hydrated.deckies.length,
    lanCount: t.hydrated.lans.length,
  });

  const push = async (t: TopologyRecord, host: HostRecord): Promise<string> => {
    const hash = canonicalHash(t.hydrated);
    await deps.agents.for(host).topologyApply({ hydrated: t.hydrated, versionHash: hash });
    return hash;
  };

  return {
    list: () => store.topologies.list().map(item),
    get: (id: string): HydratedTopology => need(id).hydrated,
    create(draft: Draft) {
      assertValidTopology(draft);
      const at = iso(deps.clock.now());
      const hydrated: HydratedTopology = {
        topology: {
          id: randomUUID(),
          name: draft.name,
          targetHostUuid: null,
          status: 'pending',
          version: 1,
          createdAt: at,
          updatedAt: at,
        },
        lans: draft.lans,
        deckies: draft.deckies,
        edges: draft.edges,
      };
      const rec: TopologyRecord = { hydrated, appliedHash: null, lastError: null, resyncedForHash: null };
      store.topologies.put(rec);
      events.emit('topologies.changed', { topologyIds: [hydrated.topology.id] });
      return item(rec);
    },
    delete(id: string): { deleted: boolean } {
      const t = need(id);
      if (['deploying', 'active', 'degraded', 'tearing_down'].includes(t.hydrated.topology.status)) {
        throw new AppError(
          'CONFLICT',
          `topology ${t.hydrated.topology.name} is ${t.hydrated.topology.status} on a host; tear it down first`,
        );
      }
      const deleted = store.topologies.remove(id);
      events.emit('topologies.changed', { topologyIds: [id] });
      return { deleted };
    },
    async apply(id: string, hostUuid: string): Promise<{ versionHash: string }> {
      const host = hostOf(hostUuid);
      let t = need(id);
      t = save(
        t,
        {
          hydrated: { ...t.hydrated, topology: { ...t.hydrated.topology, targetHostUuid: hostUuid } },
          resyncedForHash: null,
          lastError: null,
        },
        'deploying',
      );
      try {
        const hash = await push(t, host);
        save(t, { appliedHash: hash }, 'active');
        return { versionHash: hash };
      } catch (err) {
        const e = toAppError(err);
        save(t, { lastError: e.message }, 'failed');
        throw new AppError(
          e.code,
          `applying topology ${t.hydrated.topology.name} on ${host.name} failed: ${e.message}`,
          e.details,
        );
      }
    },
    async teardown(id: string): Promise<{ tornDown: boolean }> {
      let t = need(id);
      const target = t.hydrated.topology.targetHostUuid;
      if (!target) throw new AppError('CONFLICT', `topology ${t.hydrated.topology.name} was never applied to a host`);
      t = save(t, {}, 'tearing_down');
      let tornDown = true;
      try {
        await deps.agents.for(hostOf(target)).topologyTeardown({ topologyId: id });
      } catch (err) {
        // Like the original: a dead worker must not pin the topology; record the failure and move on.
        tornDown = false;
        log.warn('topology teardown on the agent failed', { id, err: toAppError(err).message });
      }
      save(
        t,
        {
          appliedHash: null,
          resyncedForHash: null,
          lastError: tornDown ? null : 'the agent did not confirm the teardown',
        },
        'torn_down',
      );
      return { tornDown };
    },
    async state(id: string) {
      const t = need(id);
      const target = t.hydrated.topology.targetHostUuid;
      if (!target) throw new AppError('CONFLICT', `topology ${t.hydrated.topology.name} is not applied to any host`);
      const s = await deps.agents.for(hostOf(target)).topologyState({});
      return { ...s, expectedHash: canonicalHash(t.hydrated) };
    },

    /**
     * Heartbeat sink: for an active/degraded topology targeting this host, a reported hash that
     * differs from the expected one schedules one resync. `resyncedForHash` remembers that it was
     * tried for this expected hash, so a worker that keeps disagreeing is not re-pushed every beat.
     */
    /**
     * Called from the mutator's loop: a resync that failed is re-armed (at most once per
     * `everyMs` per topology), so the next heartbeat that still shows drift pushes again instead
     * of the topology staying degraded until an operator re-applies it.
     */
    retryFailedResyncs(now: number, everyMs: number): void {
      for (const t of store.topologies.list()) {
        const id = t.hydrated.topology.id;
        if (t.resyncedForHash === null || resyncing.has(id) || !t.lastError?.startsWith('resync failed')) continue;
        if (now - (rearmedAt.get(id) ?? 0) < everyMs) continue;
        rearmedAt.set(id, now);
        store.topologies.put({ ...t, resyncedForHash: null });
      }
    },

    onReport(host: HostRecord, report: TopologyReport): void {
      for (const t of store.topologies.list()) {
        const top = t.hydrated.topology;
        if (top.targetHostUuid !== host.uuid || (top.status !== 'active' && top.status !== 'degraded')) continue;
        const expected = canonicalHash(t.hydrated);
        if (report.topologyId === top.id && report.appliedVersionHash === expected) {
          if (t.appliedHash !== expected || t.resyncedForHash !== null)
            store.topologies.put({ ...t, appliedHash: expected, resyncedForHash: null });
          continue;
        }
        if (t.resyncedForHash === expected || resyncing.has(top.id)) continue;
        store.topologies.put({
          ...t,
          resyncedForHash: expected,
          appliedHash: report.topologyId === top.id ? report.appliedVersionHash : null,
        });
        resyncing.add(top.id);
        log.warn('topology drift: one resync scheduled', {
          topologyId: top.id,
          host: host.uuid,
          reported: report.appliedVersionHash,
          expected,
        });
        deps.defer(async () => {
          try {
            await push(t, host);
            const cur = store.topologies.get(top.id);
            if (cur) save(cur, { appliedHash: expected, lastError: null }, 'active');
          } catch (err) {
            const cur = store.topologies.get(top.id);
            if (cur) save(cur, { lastError: `resync failed: ${toAppError(err).message}` }, 'degraded');
          } finally {
            resyncing.delete(top.id);
          }
        });
      }
    },
  };
}

export type TopologyService = ReturnType<typeof createTopologyService>;

import type { Logger } from '../../../shared/node/logger';
import { networkConfigOf } from './deploy-service';
import type { AgentPool } from '../agents/agent-pool';
import type { Clock } from '../clock';
import type { MasterEventBus } from '../bus';
import type { LifecycleService } from './lifecycle-service';
import type { HostRecord } from '../store/schema';
import type { Store } from '../store/store';
import { failDispatch } from './dispatch-failure';

type Deps = Readonly<{
  store: Store;
  lifecycle: LifecycleService;
  agents: AgentPool;
  events: MasterEventBus;
  clock: Clock;
  log: Logger;
}>;

/**
 * At start: re-sends every job the master acknowledged (its row is on disk, `pending`) but whose
 * dispatch it never saw answered, because it died in between. The agent recognises a job by its
 * lifecycle id, so a job that did reach it is not run twice. Rows whose intent cannot be rebuilt
 * are failed at once with the reason instead of waiting for the sweep. Returns the rows re-driven.
 */
export async function redriveUndispatched(deps: Deps): Promise<number> {
  const { store, lifecycle, log } = deps;
  const pending = store.lifecycle.open().filter((r) => r.status === 'pending');
  if (pending.length === 0) return 0;
  const hostOf = (placedOn: string | null | undefined): HostRecord | undefined =>
    placedOn ? store.hosts.get(placedOn) : undefined;
  const lost = (ids: string[], why: string) =>
    lifecycle.fail(ids, `the master restarted before this job was sent and ${why}; retry it`);
  const deploys = new Map<string, { host: HostRecord; rows: typeof pending }>();
  const sends: Array<Promise<void>> = [];
  for (const row of pending) {
    const rec = store.fleet.get(row.deckyName);
    const host = hostOf(rec?.placedOn);
    if (!rec || !host) {
      lost([row.id], rec ? 'its host is no longer enrolled' : 'its decky record is gone');
      continue;
    }
    const client = deps.agents.for(host);
    const send = (what: string, fn: () => Promise<unknown>) =>
      sends.push(
        fn().then(
          () => void lifecycle.markRunning([row.id]),
          (err: unknown) => failDispatch(deps, host, [row.id], what, err),
        ),
      );
    if (row.operation === 'deploy') {
      if (rec.state !== 'pending') {
        lost([row.id], `${row.deckyName} is no longer pending`);
        continue;
      }
      const entry = deploys.get(host.uuid) ?? { host, rows: [] };
      entry.rows.push(row);
      deploys.set(host.uuid, entry);
    } else if (row.operation === 'mutate') {
      const pm = rec.pendingMutation;
      if (!pm || pm.lifecycleId !== row.id) lost([row.id], 'its mutation is no longer recorded');
      else
        send(`mutate of ${row.deckyName}`, () =>
          client.mutate({ deckyId: row.deckyName, services: pm.services, lifecycleId: row.id }),
        );
    } else send(`teardown of ${row.deckyName}`, () => client.teardown({ deckyId: row.deckyName, lifecycleId: row.id }));
  }
  for (const { host, rows } of deploys.values()) {
    const configs = rows.map((r) => store.fleet.get(r.deckyName)!.config);
    sends.push(
      deps.agents
        .for(host)
        .deploy({
          config: { mode: host.local ? 'unihost' : 'swarm', network: networkConfigOf(host), deckies: configs },
          lifecycleIds: Object.fromEntries(rows.map((r) => [r.deckyName, r.id])),
        })
        .then(
          () => void lifecycle.markRunning(rows.map((r) => r.id)),
          (err: unknown) =>
            failDispatch(
              deps,
              host,
              rows.map((r) => r.id),
              `deploy of ${rows.map((r) => r.deckyName).join(', ')}`,
              err,
            ),
        ),
    );
  }
  await Promise.all(sends);
  log.warn('jobs acknowledged before a restart were re-driven', { rows: pending.length });
  return pending.length;
}

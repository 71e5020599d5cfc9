import type { AgentStatus } from '../../../shared/domain/agent-status';
import { withServices } from '../../../shared/domain/decky';
import type { LifecycleRow } from '../../../shared/domain/lifecycle';
import type { Logger } from '../../../shared/node/logger';
import type { MasterEventBus } from '../bus';
import type { DeckyRecord, HostRecord } from '../store/schema';
import type { Store } from '../store/store';

/**
 * Keeps the master's decky records in step with what happened: lifecycle outcomes (a mutate's new
 * services are committed only when its delta says succeeded) and the view each heartbeat reports.
 */
export function createFleetView(
  opts: Readonly<{ store: Store; events: MasterEventBus; now: () => string; log: Logger }>,
) {
  const { store, events } = opts;
  const changed = (names: string[]) => {
    if (names.length > 0) events.emit('deckies.changed', { deckyNames: names });
  };

  return {
    /** Lifecycle settle hook: applies a terminal row's effect on the fleet record. */
    settle(row: LifecycleRow): void {
      const rec = store.fleet.get(row.deckyName);
      if (!rec) return;
      const at = opts.now();
      const ok = row.status === 'succeeded';
      switch (row.operation) {
        case 'deploy':
          if (ok) {
            if (rec.state === 'pending')
              store.fleet.patch(rec.config.name, { state: 'running', lastError: null, updatedAt: at });
          } else if (rec.state === 'pending') {
            // The deploy never happened: free the name and the IP for a retry.
            store.fleet.remove(rec.config.name);
          } else store.fleet.patch(rec.config.name, { lastError: row.error, updatedAt: at });
          break;
        case 'mutate': {
          const pending = rec.pendingMutation;
          if (!pending || pending.lifecycleId !== row.id) break;
          if (ok) {
            store.fleet.patch(rec.config.name, {
              config: { ...withServices(rec.config, pending.services), lastMutated: Date.parse(at) },
              pendingMutation: null,
              lastError: null,
              updatedAt: at,
            });
            // The original's decky_mutated: only for a mutation that actually happened.
            events.emit('deckies.mutated', {
              deckyName: rec.config.name,
              oldServices: [...rec.config.services],
              newServices: [...pending.services],
              trigger: pending.trigger ?? 'operator',
              lifecycleId: row.id,
              at,
            });
          } else store.fleet.patch(rec.config.name, { pendingMutation: null, lastError: row.error, updatedAt: at });
          break;
        }
        case 'teardown':
          if (ok) store.fleet.remove(rec.config.name);
          else store.fleet.patch(rec.config.name, { lastError: row.error, updatedAt: at });
          break;
      }
      changed([row.deckyName]);
    },

    /**
     * Upserts the deckies a host reports: running or degraded from `status.runtime` (a heartbeat never
     * says failed). A decky of this host that the agent no longer reports becomes `stopped`, unless
     * its deploy is still pending. A decky placed on another host is never re-homed by a claim:
     * it is left unchanged and its name returned, so the caller can raise the alert.
     */
    applyStatus(host: HostRecord, status: AgentStatus): string[] {
      const at = opts.now();
      const names: string[] = [];
      const conflicts: string[] = [];
      const reported = new Set<string>();
      for (const d of status.deckies) {
        const existing = store.fleet.get(d.name);
        if (existing?.placedOn && existing.placedOn !== host.uuid) {
          conflicts.push(d.name);
          continue;
        }
        reported.add(d.name);
        const rt = status.runtime[d.name];
        const state = rt?.running ? 'running' : 'degraded';
        const services: Record<string, string> = rt ? { ...rt.services } : {};
        // A re-localised decky (macvlan/ipvlan worker on another subnet) shows the address it really has.
        const config = { ...d, ...(rt?.ip ? { ip: rt.ip } : {}), hostUuid: host.local ? null : host.uuid };
        if (!existing) {
          store.fleet.upsert({
            config,
            placedOn: host.uuid,
            state,
            services,
            lastError: rt?.error ?? null,
            updatedAt: at,
          });
          names.push(d.name);
          continue;
        }
        const patch: Partial<DeckyRecord> = { placedOn: host.uuid, state, services };
        // Only a settled record takes the reported config; during a mutate the delta decides.
        // The schedule (interval, last mutation) is the master's: a worker's copy never overrides it.
        if (!existing.pendingMutation)
          patch.config = withSchedule({ ...config, serviceConfig: config.serviceConfig }, existing.config);
        if (store.fleet.patch(d.name, patch, at)) names.push(d.name);
      }
      for (const rec of store.fleet.onHost(host.uuid)) {
        if (reported.has(rec.config.name) || rec.state === 'pending' || rec.state === 'stopped') continue;
        store.fleet.patch(rec.config.name, {
          state: 'stopped',
          lastError: `${host.name} no longer reports this decky`,
          updatedAt: at,
        });
        names.push(rec.config.name);
      }
      changed(names);
      return conflicts;
    },
  };
}

export type FleetView = ReturnType<typeof createFleetView>;

function withSchedule(config: DeckyRecord['config'], master: DeckyRecord['config']): DeckyRecord['config'] {
  const { lastMutated: _l, mutateInterval: _m, ...rest } = config;
  return {
    ...rest,
    ...(master.lastMutated === undefined ? {} : { lastMutated: master.lastMutated }),
    ...(master.mutateInterval === undefined ? {} : { mutateInterval: master.mutateInterval }),
  };
}

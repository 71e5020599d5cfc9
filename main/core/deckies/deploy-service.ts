import type { NetworkConfig } from '../../../shared/domain/decky';
import { hostsOf, tryParseRange } from '../../../shared/domain/ip-range';
import { AppError } from '../../../shared/errors';
import type { Logger } from '../../../shared/node/logger';
import type { AgentPool } from '../agents/agent-pool';
import { iso, type Clock } from '../clock';
import type { MasterEventBus } from '../bus';
import { livenessOf } from '../hosts/liveness';
import type { LifecycleService } from './lifecycle-service';
import type { HostRecord } from '../store/schema';
import type { Store } from '../store/store';
import { failDispatch } from './dispatch-failure';
import { planDeploy, type Plan, type PlanHost, type PlannedDecky, type PlanRequest } from './planner';

type Deps = Readonly<{
  store: Store;
  lifecycle: LifecycleService;
  agents: AgentPool;
  events: MasterEventBus;
  clock: Clock;
  heartbeatIntervalMs: number;
  log: Logger;
  /** Runs work after the command has answered (setImmediate in production). */
  defer: (fn: () => Promise<void>) => void;
}>;

export type DeployService = ReturnType<typeof createDeployService>;

/** deckies.plan / deckies.deploy / deckies.teardown (DESIGN §5 deploy planner). */
export function createDeployService(deps: Deps) {
  const { store, lifecycle, events, log } = deps;

  const toPlanHost = (h: HostRecord): PlanHost => {
    const lan = lanOf(h);
    return {
      uuid: h.uuid,
      name: h.name,
      local: h.local,
      deckyCount: store.fleet.countOn(h.uuid),
      ...(lan ? { lan } : {}),
    };
  };

  /** The explicit host, or the live workers; the local agent only when no worker is live. */
  const targets = (req: PlanRequest): PlanHost[] => {
    if (req.hostUuid) {
      return [toPlanHost(store.hosts.requireUsable(req.hostUuid))];
    }
    const now = deps.clock.now();
    const live = store.hosts
      .list()
      .filter(
        (h) => store.hosts.isUsable(h) && livenessOf(h.lastHeartbeatAt, now, deps.heartbeatIntervalMs) === 'online',
      );
    const workers = live.filter((h) => !h.local);
    return (workers.length > 0 ? workers : live.filter((h) => h.local)).map(toPlanHost);
  };

  const plan = (req: PlanRequest): Plan => {
    const names = new Map(store.hosts.list().map((h) => [h.uuid, h.name]));
    const fleet = store.fleet.list().map((d) => ({
      name: d.config.name,
      ip: d.config.ip,
      hostName: d.placedOn ? (names.get(d.placedOn) ?? null) : null,
    }));
    return planDeploy(req, fleet, targets(req));
  };

  const dispatch = async (host: HostRecord, planned: PlannedDecky[], rowIds: Map<string, string>): Promise<void> => {
    const ids = planned.map((p) => rowIds.get(p.config.name)!);
    try {
      const client = deps.agents.for(host);
      await client.deploy({
        config: {
          mode: host.local ? 'unihost' : 'swarm',
          network: networkConfigOf(host),
          deckies: planned.map((p) => p.config),
        },
        lifecycleIds: Object.fromEntries(planned.map((p) => [p.config.name, rowIds.get(p.config.name)!])),
      });
      lifecycle.markRunning(ids);
    } catch (err) {
      failDispatch(deps, host, ids, `deploy of ${planned.map((p) => p.config.name).join(', ')}`, err);
    }
  };

  /** One deferred dispatch per host, once the rows are on disk; a host removed meanwhile fails its rows. */
  const dispatchLater = (deckies: PlannedDecky[], rowIds: Map<string, string>, what: string): number => {
    const byHost = new Map<string, PlannedDecky[]>();
    for (const d of deckies) byHost.set(d.placedOn, [...(byHost.get(d.placedOn) ?? []), d]);
    for (const [uuid, planned] of byHost) {
      deps.defer(async () => {
        const host = store.hosts.get(uuid);
        if (!host)
          return void lifecycle.fail(
            planned.map((d) => rowIds.get(d.config.name)!),
            `host ${uuid} was removed before the ${what} was sent`,
          );
        await dispatch(host, planned, rowIds);
      });
    }
    return byHost.size;
  };

  return {
    plan(req: PlanRequest): { deckies: PlannedDecky['config'][]; warnings: string[] } {
      const p = plan(req);
      return { deckies: p.deckies.map((d) => d.config), warnings: p.warnings };
    },

    /** Creates the rows and fleet records, answers the lifecycle ids, then dispatches per host. */
    deploy(req: PlanRequest): { lifecycleIds: string[]; deckies: string[] } {
      const p = plan(req);
      const at = iso(deps.clock.now());
      const rows = lifecycle.create(
        p.deckies.map((d) => ({ deckyName: d.config.name, hostUuid: d.config.hostUuid, operation: 'deploy' as const })),
      );
      const rowIds = new Map(rows.map((r) => [r.deckyName, r.id]));
      for (const d of p.deckies) {
        store.fleet.upsert({
          config: d.config,
          placedOn: d.placedOn,
          state: 'pending',
          services: {},
          lastError: null,
          updatedAt: at,
        });
      }
      events.emit('deckies.changed', { deckyNames: p.deckies.map((d) => d.config.name) });
      const hosts = dispatchLater(p.deckies, rowIds, 'deploy');
      log.info('deploy accepted', { deckies: p.deckies.length, hosts });
      return { lifecycleIds: rows.map((r) => r.id), deckies: p.deckies.map((d) => d.config.name) };
    },

    /**
     * Re-sends the recorded config of deckies that are not running (degraded, stopped, failed) to
     * the host they are placed on; a running or pending decky, or one with a job open, is refused.
     */
    redeploy(req: { deckyName: string } | { hostUuid: string; degradedOnly: true }): {
      lifecycleIds: string[];
      deckies: string[];
    } {
      const redeployable = ['degraded', 'stopped', 'failed', 'unknown'];
      let recs;
      if ('deckyName' in req) {
        const rec = store.fleet.get(req.deckyName);
        if (!rec) throw new AppError('NOT_FOUND', `no decky named ${req.deckyName}`);
        if (!redeployable.includes(rec.state))
          throw new AppError(
            'CONFLICT',
            `${req.deckyName} is ${rec.state}; only a degraded, stopped or failed decky is redeployed`,
          );
        recs = [rec];
      } else {
        store.hosts.require(req.hostUuid);
        recs = store.fleet.onHost(req.hostUuid).filter((r) => redeployable.includes(r.state));
      }
      const busy = recs.filter(
        (r) => r.pendingMutation || store.lifecycle.open().some((o) => o.deckyName === r.config.name),
      );
      if ('deckyName' in req && busy.length > 0)
        throw new AppError('CONFLICT', `a job of ${req.deckyName} is still open; wait for it to finish`);
      recs = recs.filter((r) => !busy.includes(r));
      if (recs.length === 0) return { lifecycleIds: [], deckies: [] };
      const rows = lifecycle.create(
        recs.map((r) => ({ deckyName: r.config.name, hostUuid: r.config.hostUuid, operation: 'deploy' as const })),
      );
      const rowIds = new Map(rows.map((r) => [r.deckyName, r.id]));
      dispatchLater(
        recs.map((r) => ({ config: r.config, placedOn: r.placedOn ?? '' })),
        rowIds,
        'redeploy',
      );
      log.info('redeploy accepted', { deckies: recs.length });
      return { lifecycleIds: rows.map((r) => r.id), deckies: recs.map((r) => r.config.name) };
    },

    teardown(deckyName: string): { lifecycleId: string } {
      const rec = store.fleet.get(deckyName);
      if (!rec) throw new AppError('NOT_FOUND', `no decky named ${deckyName}`);
      const hostUuid = rec.placedOn;
      const host = hostUuid ? store.hosts.get(hostUuid) : undefined;
      const [row] = lifecycle.create([{ deckyName, hostUuid: rec.config.hostUuid, operation: 'teardown' }]);
      if (!host) {
        // Its host is gone: nothing to tear down, just forget the record.
        store.fleet.remove(deckyName);
        lifecycle.fail([row!.id], `the host of ${deckyName} is no longer enrolled; the record was removed`);
        events.emit('deckies.changed', { deckyNames: [deckyName] });
        return { lifecycleId: row!.id };
      }
      deps.defer(async () => {
        try {
          await deps.agents.for(host).teardown({ deckyId: deckyName, lifecycleId: row!.id });
          lifecycle.markRunning([row!.id]);
        } catch (err) {
          failDispatch(deps, host, [row!.id], `teardown of ${deckyName}`, err);
        }
      });
      return { lifecycleId: row!.id };
    },
  };
}

/**
 * The decky pool of a worker whose agent reported a LAN driver: the operator's range, else the
 * reported subnet; never the worker's own address or its gateway. Loopback hosts have none.
 */
export function lanOf(h: HostRecord): PlanHost['lan'] {
  const reported = h.network?.reported;
  const driver = h.network?.settings.driver ?? reported?.driver;
  if (h.local || !reported || driver === undefined || driver === 'loopback') return undefined;
  const set = h.network?.settings.deckyRange;
  const range = set
    ? tryParseRange(set)
    : reported.subnet
      ? hostsOf(reported.subnet.split('/')[0]!, Number(reported.subnet.split('/')[1]))
      : undefined;
  if (!range) return undefined;
  return { range, exclude: [reported.address, reported.gateway].filter((a): a is string => a !== undefined) };
}

/** The network block of a deploy to `h`: the operator's settings, else what its agent reported. */
export function networkConfigOf(h: HostRecord): NetworkConfig {
  const reported = h.network?.reported;
  const driver = h.network?.settings.driver ?? reported?.driver ?? 'loopback';
  const iface = h.network?.settings.interface ?? reported?.interface;
  return {
    driver,
    ...(iface && driver !== 'loopback' ? { interface: iface } : {}),
    ...(reported?.subnet && driver !== 'loopback' ? { subnet: reported.subnet } : {}),
    ...(reported?.gateway && driver !== 'loopback' ? { gateway: reported.gateway } : {}),
  };
}

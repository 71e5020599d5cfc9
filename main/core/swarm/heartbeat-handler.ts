import type { HeartbeatBody, HostNetworkReport } from '../../../shared/domain/agent-status';
import type { AttackerEvent } from '../../../shared/domain/events';
import { AppError } from '../../../shared/errors';
import type { Logger } from '../../../shared/node/logger';
import { iso, type Clock } from '../clock';
import type { EventLog } from '../attacker-events/event-log';
import type { MasterEventBus } from '../bus';
import type { FleetView } from '../deckies/fleet-view';
import { livenessOf } from '../hosts/liveness';
import type { LifecycleService } from '../deckies/lifecycle-service';
import type { HostRecord } from '../store/schema';
import type { Store } from '../store/store';

/** Per-host event quota: a steady rate with a burst of one full batch (the agent retries on 429). */
export const EVENT_QUOTA = { perSecond: 500, burst: 5000 } as const;

/** Events refused because they named a decky the calling host does not run, per host. */
export type EventRefusals = Record<string, { unknownDecky: number; foreignDecky: number }>;

export type TopologyReportSink = (host: HostRecord, report: HeartbeatBody['topology']) => void;

/**
 * The swarm listener's handlers. The listener has already proved the caller holds an enrolled,
 * unrevoked worker certificate for `hostUuid`; this pivots deltas, refreshes the host's decky view
 * and checks its topology, then acks every delta it has handled (including dropped duplicates).
 */
export function createSwarmHandlers(
  opts: Readonly<{
    store: Store;
    lifecycle: LifecycleService;
    fleet: FleetView;
    eventLog: EventLog;
    events: MasterEventBus;
    clock: Clock;
    heartbeatIntervalMs: number;
    onTopologyReport: TopologyReportSink;
    /** Newly stored attacker events (syslog forwarding). */
    onEventsStored?: (events: AttackerEvent[]) => void;
    log: Logger;
  }>,
) {
  const { store, events, log } = opts;
  const buckets = new Map<string, { tokens: number; at: number }>();
  const refusals: EventRefusals = {};
  const lastAlert = new Map<string, number>();

  const takeQuota = (hostUuid: string, n: number): void => {
    const now = opts.clock.now();
    const b = buckets.get(hostUuid) ?? { tokens: EVENT_QUOTA.burst, at: now };
    b.tokens = Math.min(EVENT_QUOTA.burst, b.tokens + ((now - b.at) / 1000) * EVENT_QUOTA.perSecond);
    b.at = now;
    buckets.set(hostUuid, b);
    if (b.tokens < n) {
      const waitS = Math.ceil((n - b.tokens) / EVENT_QUOTA.perSecond);
      throw new AppError(
        'RATE_LIMITED',
        `host ${hostUuid} exceeds its event quota (${EVENT_QUOTA.perSecond}/s); retry in ${waitS} s`,
        { retryAfterMs: waitS * 1000 },
      );
    }
    b.tokens -= n;
  };

  // A conflicting claim is a security event, but a hostile host could repeat it every second:
  // at most one alert per host and kind a minute (the counters and the log keep the rest).
  const alert = (host: HostRecord, kind: string, message: string): void => {
    const now = opts.clock.now();
    const k = `${host.uuid}|${kind}`;
    log.warn(message, { hostUuid: host.uuid, kind });
    if (now - (lastAlert.get(k) ?? -Infinity) < 60_000) return;
    lastAlert.set(k, now);
    events.emit('security.alerted', { kind, message, hostUuid: host.uuid, at: iso(opts.clock.now()) });
  };

  // The listener already refused a revoked or unknown certificate; a host removed since then is gone.
  const hostOf = (hostUuid: string): HostRecord => store.hosts.require(hostUuid);

  /** Keeps what the agent reports of its LAN; its real listen port is where the master dials it from now on. */
  const recordNetwork = (host: HostRecord, reported: HostNetworkReport): void => {
    const patch: Partial<HostRecord> = {};
    if (JSON.stringify(host.network?.reported ?? null) !== JSON.stringify(reported))
      patch.network = { reported, settings: host.network?.settings ?? {} };
    if (reported.listenPort && reported.listenPort !== host.agentPort && !host.local)
      patch.agentPort = reported.listenPort;
    if (Object.keys(patch).length === 0) return;
    store.hosts.update(host.uuid, patch);
    events.emit('hosts.changed', { hostUuids: [host.uuid] });
  };

  return {
    async heartbeat(hostUuid: string, body: HeartbeatBody): Promise<{ ackedDeltaIds: string[] }> {
      const host = hostOf(hostUuid);
      const now = opts.clock.now();
      const before = livenessOf(host.lastHeartbeatAt, now, opts.heartbeatIntervalMs);
      store.hosts.markSeen(hostUuid, 'heartbeat', iso(now), body.agentVersion);
      // Rows of master-resident deckies (run by the embedded local agent) carry hostUuid null.
      const rowHost = host.local ? null : host.uuid;
      const acked: string[] = [];
      for (const delta of body.lifecycle) {
        try {
          opts.lifecycle.pivot(rowHost, delta);
        } catch (err) {
          // A delta that cannot apply would be re-sent forever if not acked: log it and move on.
          log.error('lifecycle delta could not be applied; acked anyway', { deltaId: delta.deltaId, err });
        }
        acked.push(delta.deltaId);
      }
      const conflicts = opts.fleet.applyStatus(host, body.status);
      if (conflicts.length > 0) {
        alert(
          host,
          'placement-conflict',
          `${host.name} reports ${conflicts.length} decky(s) placed on another host as its own (${conflicts.slice(0, 5).join(', ')}); ignored`,
        );
      }
      if (JSON.stringify(host.topology) !== JSON.stringify(body.topology))
        store.hosts.update(hostUuid, { topology: body.topology });
      if (body.network) recordNetwork(host, body.network);
      opts.onTopologyReport(host, body.topology);
      if (before !== 'online') events.emit('hosts.changed', { hostUuids: [hostUuid] });
      // An ack makes the agent drop the delta from its outbox, so the row change it carried must be
      // on disk first. Only heartbeats with deltas wait; concurrent ones share the coalesced write.
      if (acked.length > 0) await store.flush();
      return { ackedDeltaIds: acked };
    },

    async events(hostUuid: string, body: { events: AttackerEvent[] }): Promise<{ ackedIds: string[] }> {
      const host = hostOf(hostUuid);
      takeQuota(hostUuid, body.events.length);
      // A worker speaks only for the deckies placed on it; the host field comes from its certificate.
      const placement = new Map<string, string | null | undefined>();
      const genuine: AttackerEvent[] = [];
      const refused: string[] = [];
      const foreign = new Set<string>();
      for (const e of body.events) {
        if (!placement.has(e.decky)) placement.set(e.decky, store.fleet.get(e.decky)?.placedOn);
        const placedOn = placement.get(e.decky);
        if (placedOn === hostUuid) {
          genuine.push({ ...e, host: hostUuid });
          continue;
        }
        refused.push(e.id);
        const counts = (refusals[hostUuid] ??= { unknownDecky: 0, foreignDecky: 0 });
        if (placedOn) {
          counts.foreignDecky++;
          foreign.add(e.decky);
        } else counts.unknownDecky++;
      }
      if (foreign.size > 0) {
        alert(
          host,
          'event-impersonation',
          `${host.name} uploaded events for deckies placed on another host (${[...foreign].slice(0, 5).join(', ')}); refused`,
        );
      }
      if (refused.length > 0)
        log.warn('events refused: decky not placed on the uploading host', { hostUuid, count: refused.length });
      const { stored, acked } = await opts.eventLog.append(genuine);
      const at = iso(opts.clock.now());
      store.hosts.markSeen(hostUuid, 'events', at);
      // Refused events are acked too: re-sending them would never make them acceptable.
      acked.push(...refused);
      if (stored.length > 0) {
        const fresh = new Set(stored);
        opts.onEventsStored?.(genuine.filter((e) => fresh.has(e.id)));
        const latest = genuine.reduce((m, e) => (e.ts > m ? e.ts : m), genuine[0]!.ts);
        events.emit('events.captured', { count: stored.length, latest: new Date(latest).toISOString() });
      }
      return { ackedIds: acked };
    },

    /** Counters of refused events per host (shown in the console's store and trust health). */
    refusals: (): EventRefusals => structuredClone(refusals),
  };
}

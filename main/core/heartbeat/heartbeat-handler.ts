import type { HeartbeatBody, HostNetworkReport } from '../../../shared/domain/agent-status';
import type { AttackerEvent } from '../../../shared/domain/events';
import { AppError } from '../../../shared/errors';
import type { Logger } from '../../../shared/node/logger';
import { iso, type Clock } from '../clock';
import type { EventLog } from '../events/event-log';
import type { MasterEventBus } from '../events';
import type { FleetView } from '../fleet/fleet-view';
import { livenessOf } from '../hosts/liveness';
import type { LifecycleService } from '../lifecycle/lifecycle-service';
import type { HostRecord } from '../store/schema';
import type { Store } from '../store/store';

export type TopologyReportSink = (host: HostRecord, report: HeartbeatBody['topology']) => void;

/**
 * The swarm listener's handlers. The listener has already proved the caller holds an enrolled,
 * unrevoked worker certificate for `hostUuid`; this pivots deltas, refreshes the host's decky view
 * and checks its topology, then acks every delta it has handled (including dropped duplicates).
 */
export function createSwarmHandlers(opts: Readonly<{
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
}>) {
  const { store, events, log } = opts;

  const hostOf = (hostUuid: string): HostRecord => {
    const host = store.hosts.get(hostUuid);
    if (!host) throw new AppError('NOT_FOUND', `unknown host ${hostUuid}`);
    if (host.fingerprint && store.hosts.isRevoked(host.fingerprint)) throw new AppError('FORBIDDEN', `host ${host.name} was revoked`);
    return host;
  };

  /** Keeps what the agent reports of its LAN; its real listen port is where the master dials it from now on. */
  const recordNetwork = (host: HostRecord, reported: HostNetworkReport): void => {
    const patch: Partial<HostRecord> = {};
    if (JSON.stringify(host.network?.reported ?? null) !== JSON.stringify(reported)) patch.network = { reported, settings: host.network?.settings ?? {} };
    if (reported.listenPort && reported.listenPort !== host.agentPort && !host.local) patch.agentPort = reported.listenPort;
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
      opts.fleet.applyStatus(host, body.status);
      if (JSON.stringify(host.topology) !== JSON.stringify(body.topology)) store.hosts.update(hostUuid, { topology: body.topology });
      if (body.network) recordNetwork(host, body.network);
      opts.onTopologyReport(host, body.topology);
      if (before !== 'online') events.emit('hosts.changed', { hostUuids: [hostUuid] });
      // An ack makes the agent drop the delta from its outbox, so the row change it carried must be
      // on disk first. Only heartbeats with deltas wait; concurrent ones share the coalesced write.
      if (acked.length > 0) await store.flush();
      return { ackedDeltaIds: acked };
    },

    async events(hostUuid: string, body: { events: AttackerEvent[] }): Promise<{ ackedIds: string[] }> {
      hostOf(hostUuid);
      const { stored, acked } = await opts.eventLog.append(body.events);
      const at = iso(opts.clock.now());
      store.hosts.markSeen(hostUuid, 'events', at);
      if (stored.length > 0) {
        const fresh = new Set(stored);
        opts.onEventsStored?.(body.events.filter((e) => fresh.has(e.id)));
        const latest = body.events.reduce((m, e) => (e.ts > m ? e.ts : m), body.events[0]!.ts);
        events.emit('events.captured', { count: stored.length, latest: new Date(latest).toISOString() });
      }
      return { ackedIds: acked };
    },
  };
}

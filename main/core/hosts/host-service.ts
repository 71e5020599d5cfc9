import type { HostLiveness, HostNetworkSettings, HostSummary } from '../../../shared/domain/host';
import { AppError, toAppError } from '../../../shared/errors';
import type { Logger } from '../../../shared/node/logger';
import type { AgentPool } from '../agents/agent-pool';
import type { Clock } from '../clock';
import type { Enrollment } from '../enrollment';
import type { MasterEventBus } from '../bus';
import type { LifecycleService } from '../deckies/lifecycle-service';
import type { HostRecord } from '../store/schema';
import type { Store } from '../store/store';
import { livenessOf } from './liveness';

type Deps = Readonly<{
  store: Store;
  enrollment: Enrollment;
  agents: AgentPool;
  lifecycle: LifecycleService;
  events: MasterEventBus;
  clock: Clock;
  log: Logger;
  heartbeatIntervalMs: number;
  selfDestructTimeoutMs: number;
  /** `https://host:port` workers dial, for the enroll command line. */
  masterUrl: () => string;
  /** Called once per online → offline transition (the host-offline alert rule). */
  onOffline?: (host: Readonly<{ uuid: string; name: string }>) => void;
}>;

/** hosts.* commands plus the liveness tick that reports online → suspect → offline transitions. */
export function createHostService(deps: Deps) {
  const { store, events, log } = deps;
  const lastLiveness = new Map<string, HostLiveness>();
  let timer: unknown = null;

  const summary = (h: HostRecord, counts: Map<string, number>): HostSummary => ({
    uuid: h.uuid,
    name: h.name,
    address: h.address,
    agentPort: h.agentPort,
    fingerprint: h.fingerprint,
    liveness: livenessOf(h.lastHeartbeatAt, deps.clock.now(), deps.heartbeatIntervalMs),
    lastHeartbeatAt: h.lastHeartbeatAt,
    lastEventsAt: h.lastEventsAt,
    agentVersion: h.agentVersion,
    deckyCount: counts.get(h.uuid) ?? 0,
    local: h.local,
    enrolledAt: h.enrolledAt,
    certExpiresAt: h.certExpiresAt,
    ...(h.network ? { network: h.network } : {}),
  });

  return {
    list(): HostSummary[] {
      const counts = new Map<string, number>();
      for (const d of store.fleet.scan()) if (d.placedOn) counts.set(d.placedOn, (counts.get(d.placedOn) ?? 0) + 1);
      return store.hosts
        .list()
        .filter((h) => store.hosts.isUsable(h))
        .map((h) => summary(h, counts));
    },

    async enroll(args: {
      name: string;
      address?: string | undefined;
      replace?: boolean | undefined;
      ttlMinutes?: number | undefined;
    }) {
      const issued = await deps.enrollment.issueJoinToken({
        name: args.name,
        replace: args.replace ?? false,
        ...(args.ttlMinutes ? { ttlMs: args.ttlMinutes * 60_000 } : {}),
      });
      const address = args.address ? ` --address ${args.address}` : '';
      return {
        hostUuid: issued.hostUuid,
        token: issued.token,
        command: `decnet-agent enroll --master ${deps.masterUrl()} --token ${issued.token} --name ${args.name}${address}`,
        expiresAt: issued.expiresAt.toISOString(),
      };
    },

    /** The operator's network settings for a worker's deckies (driver, parent interface, decky range). */
    setNetwork(uuid: string, settings: HostNetworkSettings): HostSummary {
      const host = store.hosts.require(uuid);
      if (host.local && settings.driver && settings.driver !== 'loopback')
        throw new AppError('INVALID_INPUT', 'the embedded local agent runs deckies on loopback only');
      const updated = store.hosts.update(uuid, { network: { reported: host.network?.reported ?? null, settings } })!;
      events.emit('hosts.changed', { hostUuids: [uuid] });
      return this.list().find((h) => h.uuid === uuid) ?? summary(updated, new Map());
    },

    async exportBundle(args: { name: string; address: string; replace?: boolean | undefined }) {
      const b = await deps.enrollment.exportBundle({
        name: args.name,
        addresses: [args.address],
        masterUrl: deps.masterUrl(),
        replace: args.replace ?? false,
      });
      const fileName = `decnet-agent-${args.name}.tgz`;
      events.emit('hosts.changed', { hostUuids: [b.hostUuid] });
      return {
        hostUuid: b.hostUuid,
        fileName,
        bundleBase64: b.bundle.toString('base64'),
        command: `decnet-agent enroll --bundle ${fileName}`,
      };
    },

    async check(uuid: string) {
      const host = store.hosts.require(uuid);
      try {
        const h = await deps.agents.for(host).health({});
        return { reachable: true, version: h.version, error: null };
      } catch (err) {
        return { reachable: false, version: null, error: toAppError(err).message };
      }
    },

    /**
     * Best-effort self-destruct (a dead worker does not block: short timeout), then the host is
     * removed and its fingerprint revoked so its heartbeats and uploads are refused from now on.
     */
    async decommission(uuid: string): Promise<{ wiped: boolean; failedRows: number }> {
      const host = store.hosts.require(uuid);
      if (host.local)
        throw new AppError(
          'INVALID_INPUT',
          'the embedded local agent cannot be decommissioned; start the master with --no-local-agent instead',
        );
      let wiped = false;
      try {
        await withTimeout(
          deps.agents.for(host).selfDestruct({}),
          deps.selfDestructTimeoutMs,
          `${host.name} did not accept self-destruct within ${deps.selfDestructTimeoutMs / 1000} s`,
        );
        wiped = true;
      } catch (err) {
        log.warn('self-destruct failed; decommissioning anyway', { host: uuid, err: toAppError(err).message });
      }
      if (host.fingerprint) store.hosts.revoke(host.fingerprint);
      store.hosts.remove(uuid);
      deps.agents.drop(uuid);
      const open = deps.lifecycle.openRows().filter((r) => r.hostUuid === uuid);
      deps.lifecycle.fail(
        open.map((r) => r.id),
        'host decommissioned',
      );
      const gone = store.fleet.onHost(uuid).map((d) => d.config.name);
      for (const name of gone) store.fleet.remove(name);
      if (gone.length) events.emit('deckies.changed', { deckyNames: gone });
      events.emit('hosts.changed', { hostUuids: [uuid] });
      lastLiveness.delete(uuid);
      log.info('host decommissioned', { host: uuid, name: host.name, wiped, failedRows: open.length });
      return { wiped, failedRows: open.length };
    },

    /** Emits hosts.changed for hosts whose liveness changed since the last tick. */
    tick(): void {
      const now = deps.clock.now();
      const changed: string[] = [];
      for (const h of store.hosts.list()) {
        const l = livenessOf(h.lastHeartbeatAt, now, deps.heartbeatIntervalMs);
        const before = lastLiveness.get(h.uuid);
        lastLiveness.set(h.uuid, l);
        if (before !== undefined && before !== l) {
          changed.push(h.uuid);
          if (l === 'offline') {
            log.warn('host went offline', { host: h.uuid, name: h.name, lastHeartbeatAt: h.lastHeartbeatAt });
            deps.onOffline?.(h);
          }
        }
      }
      if (changed.length) events.emit('hosts.changed', { hostUuids: changed });
    },
    start(everyMs: number): void {
      if (timer === null) timer = deps.clock.setInterval(() => this.tick(), everyMs);
    },
    stop(): void {
      if (timer !== null) deps.clock.clearInterval(timer);
      timer = null;
    },
  };
}

export type HostService = ReturnType<typeof createHostService>;

function withTimeout<T>(p: Promise<T>, ms: number, message: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => reject(new AppError('TIMEOUT', message)), ms);
    p.then(
      (v) => (clearTimeout(t), resolve(v)),
      (e: unknown) => (clearTimeout(t), reject(e instanceof Error ? e : new Error(String(e)))),
    );
  });
}

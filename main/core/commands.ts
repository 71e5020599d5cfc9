import { archetypes } from '../../shared/catalog/archetypes';
import type { Accounts } from './console-api/accounts';
import type { AuditLog } from './store/audit-log';
import { distros } from '../../shared/catalog/distros';
import { services } from '../../shared/catalog/services';
import type { LocalDeckiesOnQuit, SettingsView } from '../../shared/ipc/contract';
import { AppError } from '../../shared/errors';
import type { CommandHandlers } from '../../shared/ipc/types';
import type { AlertEngine } from './alerts/alert-engine';
import type { CaInfo } from './ca';
import type { DeployService } from './deckies/deploy-service';
import type { EventLog } from './attacker-events/event-log';
import { artifactCommands } from './payloads/artifact-commands';
import type { ArtifactStore } from './payloads/artifact-store';
import { exportPage } from './attacker-events/event-export';
import { createSourceView } from './attacker-events/source-view';
import { RetentionInput } from '../../shared/domain/event-query';
import type { SiemOutput } from './attacker-events/siem-output';
import type { HostService } from './hosts/host-service';
import type { UpdateService } from './updater/update-service';
import type { LifecycleService } from './deckies/lifecycle-service';
import type { createMutator } from './deckies/mutator';
import type { Store } from './store/store';
import type { TopologyService } from './deckies/topology-service';
import { readAgentPackage } from './hosts/agent-package';
import { MASTER_VERSION } from './version';

export type CommandDeps = Readonly<{
  store: Store;
  /** The audit trail `audit.list` reads (entries are written by the dispatcher). */
  audit: Pick<AuditLog, 'list'>;
  accounts: Accounts;
  hosts: HostService;
  updates: UpdateService;
  deploy: DeployService;
  mutator: ReturnType<typeof createMutator>;
  lifecycle: LifecycleService;
  topologies: TopologyService;
  eventLog: EventLog;
  artifacts: ArtifactStore;
  /** The SIEM output, when DECNET_LOG_TARGET is set. */
  siem?: SiemOutput | null;
  alerts: AlertEngine;
  caInfo: () => CaInfo;
  /** Where `npm run package:agent` leaves the worker tarball. */
  agentPackageDir: string;
  settings: () => Pick<SettingsView, 'dataDir' | 'apiListen' | 'swarmListen' | 'publicBinding' | 'store' | 'trust'>;
  /** The fleet default for scheduled mutation (Settings), minutes or null = off. */
  mutateDefault: Readonly<{ get(): number | null; set(minutes: number | null): void }>;
  /** The clock the chart's default range ends at (the master's clock; Date.now when not given). */
  now?: () => number;
}>;

/** Analyst settings kept in master.json (store.settings); read by the shell too. */
export const CLOSE_TO_TRAY = 'closeToTray';
/** Event retention set in Settings (master.json); it overrides DECNET_EVENTS_MAX_AGE_DAYS / _MAX_MB. */
export const EVENT_RETENTION = 'eventRetention';
export const LOCAL_DECKIES_ON_QUIT = 'localDeckiesOnQuit';

const catalog = {
  services: Object.entries(services).map(([name, s]) => ({
    name,
    label: s.label,
    ports: s.ports.map((p) => `${p.port}/${p.proto}`),
    personaKeys: Object.keys(s.persona),
  })),
  archetypes: Object.entries(archetypes).map(([name, a]) => ({
    name,
    label: a.label,
    services: [...a.services],
    nmapOs: a.nmapOs,
  })),
  distros: Object.entries(distros).map(([name, d]) => ({ name, label: d.label })),
};

/**
 * The one implementation of every contract command, shared by the Electron IPC bridge and the
 * console RPC API (both validate input with the contract before calling in).
 */
export function createCommandHandlers(d: CommandDeps): CommandHandlers {
  const sources = createSourceView(d.eventLog);
  const MiB = 1024 * 1024;
  const applyRetention = (r: { maxAgeDays: number | null; maxMb: number | null }) =>
    d.eventLog.setRetention({ maxAgeDays: r.maxAgeDays, maxBytes: r.maxMb === null ? null : r.maxMb * MiB });
  const saved = RetentionInput.safeParse(d.store.settings.get(EVENT_RETENTION));
  if (saved.success) applyRetention(saved.data);
  const retentionView = () => {
    const r = d.eventLog.retention();
    const { events, bytes } = d.eventLog.stats();
    return {
      maxAgeDays: r.maxAgeDays,
      maxMb: r.maxBytes === null ? null : Math.round(r.maxBytes / MiB),
      events,
      bytes,
    };
  };
  const deckyIp = (name: string) => d.store.fleet.get(name)?.config.ip;
  const settingsView = () => {
    const ca = d.caInfo();
    const closeToTray = d.store.settings.get(CLOSE_TO_TRAY) === true;
    const stored = d.store.settings.get(LOCAL_DECKIES_ON_QUIT);
    const onQuit: LocalDeckiesOnQuit = stored === 'keep' || stored === 'stop' ? stored : 'ask';
    return {
      ...d.settings(),
      caFingerprint: ca.fingerprint,
      caExpiresAt: ca.expiresAt.toISOString(),
      version: MASTER_VERSION,
      mutateInterval: d.mutateDefault.get(),
      closeToTray,
      localDeckiesOnQuit: onQuit,
    };
  };
  const hostNames = () => new Map(d.store.hosts.list().map((h) => [h.uuid, h.name]));
  return {
    'hosts.list': () => Promise.resolve(d.hosts.list()),
    'hosts.enroll': (a) => d.hosts.enroll(a),
    'hosts.exportBundle': (a) => d.hosts.exportBundle(a),
    'hosts.agentPackage': () => readAgentPackage(d.agentPackageDir),
    'hosts.check': (a) => d.hosts.check(a.hostUuid),
    'hosts.setNetwork': (a) => Promise.resolve(d.hosts.setNetwork(a.hostUuid, a.settings)),
    'hosts.decommission': (a) => d.hosts.decommission(a.hostUuid),
    'hosts.update': async (a) => ({ job: await d.updates.update(a.hostUuid, a.release) }),
    'hosts.updateSelf': async (a) => ({ job: await d.updates.updateSelf(a.hostUuid, a.release) }),
    'hosts.updateAll': (a) => d.updates.updateAll(a),
    'hosts.updates': () => Promise.resolve(d.updates.status()),
    'deckies.list': () => {
      const names = hostNames();
      return Promise.resolve(
        d.store.fleet.list().map((r) => ({
          config: r.config,
          hostName: r.placedOn ? (names.get(r.placedOn) ?? null) : null,
          state: r.state,
          services: r.services,
          updatedAt: r.updatedAt,
        })),
      );
    },
    'deckies.plan': (a) => Promise.resolve(d.deploy.plan(a)),
    'deckies.deploy': (a) => Promise.resolve(d.deploy.deploy(a)),
    'deckies.mutate': (a) => d.mutator.mutate(a),
    'deckies.setMutateInterval': (a) => {
      const rec = d.store.fleet.get(a.deckyName);
      if (!rec) throw new AppError('NOT_FOUND', `no decky named ${a.deckyName}`);
      const { mutateInterval: _old, ...rest } = rec.config;
      d.store.fleet.patch(a.deckyName, {
        config: a.mutateInterval === undefined ? rest : { ...rest, mutateInterval: a.mutateInterval },
      });
      return Promise.resolve({
        deckyName: a.deckyName,
        ...(a.mutateInterval === undefined ? {} : { mutateInterval: a.mutateInterval }),
      });
    },
    'deckies.teardown': (a) => Promise.resolve(d.deploy.teardown(a.deckyName)),
    'deckies.redeploy': (a) => Promise.resolve(d.deploy.redeploy(a)),
    'lifecycle.get': (a) => Promise.resolve({ rows: d.lifecycle.get(a.ids) }),
    'lifecycle.recent': (a) => Promise.resolve({ rows: d.lifecycle.recent(a.limit ?? 100) }),
    'topologies.list': () => Promise.resolve(d.topologies.list()),
    'topologies.get': (a) => Promise.resolve(d.topologies.get(a.topologyId)),
    'topologies.create': (a) => Promise.resolve(d.topologies.create(a)),
    'topologies.delete': (a) => Promise.resolve(d.topologies.delete(a.topologyId)),
    'topologies.apply': (a) => d.topologies.apply(a.topologyId, a.hostUuid),
    'topologies.teardown': (a) => d.topologies.teardown(a.topologyId),
    'topologies.state': (a) => d.topologies.state(a.topologyId),
    'events.list': (a) => Promise.resolve(d.eventLog.list(a)),
    'events.histogram': (a) => Promise.resolve(sources.histogram(a, (d.now ?? Date.now)())),
    'sources.list': (a) => Promise.resolve(sources.sources(a)),
    'sources.timeline': (a) => Promise.resolve(sources.timeline(a)),
    'events.export': (a) => Promise.resolve(exportPage(d.eventLog, a, deckyIp)),
    ...artifactCommands(d.artifacts),
    'events.retention': () => Promise.resolve(retentionView()),
    'events.setRetention': (a) => {
      d.store.settings.set(EVENT_RETENTION, a);
      applyRetention(a);
      return Promise.resolve(retentionView());
    },
    'siem.status': () => Promise.resolve(d.siem?.status() ?? null),
    'siem.configure': (a) =>
      d.siem ? d.siem.configure(a) : Promise.reject(new AppError('INTERNAL', 'no SIEM output in this master')),
    'siem.test': () =>
      d.siem ? d.siem.test() : Promise.resolve({ ok: false, error: 'no SIEM output: DECNET_LOG_TARGET is not set' }),
    'catalog.get': () => Promise.resolve(catalog),
    'alerts.get': () => Promise.resolve(d.alerts.config()),
    'alerts.configure': async (a) => {
      await d.alerts.configure(a);
      return { saved: true as const };
    },
    'alerts.test': (a) => d.alerts.test(a.channelId),
    'incidents.list': (a) => Promise.resolve({ incidents: d.alerts.incidents(a) }),
    'incidents.update': (a) => d.alerts.setIncidentState(a.id, a.state),
    'settings.get': () => Promise.resolve(settingsView()),
    'settings.setMutateInterval': (a) => {
      d.mutateDefault.set(a.mutateInterval);
      return Promise.resolve(settingsView());
    },
    'audit.list': async (a) => ({ entries: await d.audit.list(a.limit ?? 500) }),
    'accounts.list': () => Promise.resolve(d.accounts.list()),
    'accounts.create': (a) => d.accounts.create(a.username, a.password, a.role),
    'accounts.setPassword': async (a) => (await d.accounts.setPassword(a.username, a.password), { ok: true as const }),
    'accounts.remove': (a) => (d.accounts.remove(a.username), Promise.resolve({ ok: true as const })),
    'settings.update': (a) => {
      if (a.closeToTray !== undefined) d.store.settings.set(CLOSE_TO_TRAY, a.closeToTray);
      if (a.localDeckiesOnQuit !== undefined) d.store.settings.set(LOCAL_DECKIES_ON_QUIT, a.localDeckiesOnQuit);
      return Promise.resolve(settingsView());
    },
  };
}

import { z } from 'zod';
import { archetypeNames } from '../catalog/archetypes';
import { NamePattern } from '../catalog/naming';
import { distroNames } from '../catalog/distros';
import { serviceNames } from '../catalog/services';
import {
  DeckyConfig,
  DeckyName,
  deckyStates,
  HostUuid,
  MutateInterval,
  ServiceConfig,
  ServiceNameSchema,
} from '../domain/decky';
import { AlertChannel, AlertRule, ChannelStatus, Incident, incidentStates } from '../domain/alerts';
import { ArtifactDownload, ArtifactListInput, ArtifactView, Sha256 } from '../domain/artifact';
import {
  EventListInput,
  EventPage,
  ExportInput,
  ExportPage,
  Histogram,
  HistogramInput,
  RetentionInput,
  RetentionView,
  SiemConfigInput,
  SiemStatus,
  SourceListInput,
  SourcePage,
  Timeline,
  TimelineInput,
} from '../domain/event-query';
import { HostAddress, HostName, HostNetworkSettings, HostSummary } from '../domain/host';
import { ChosenReleaseInput, HostUpdateView, Rollout } from '../domain/agent-update';
import { UpdateJob } from '../protocol/updater-api';
import { LifecycleRow, LifecycleTrigger } from '../domain/lifecycle';
import { HydratedTopology, TopologyDecky, TopologyEdge, TopologyLan } from '../domain/topology';
import { TopologyState } from '../protocol/agent-api';

const Void = z.strictObject({});
const Iso = z.iso.datetime({ offset: true });

export const DeployPlanRequest = z.strictObject({
  hostUuid: HostUuid.optional(),
  count: z.number().int().min(1).max(500).optional(),
  archetype: z.enum(archetypeNames).optional(),
  services: z.array(ServiceNameSchema).min(1).max(serviceNames.length).optional(),
  distro: z.enum(distroNames).optional(),
  namePrefix: DeckyName.optional(),
  /** `ws-{dept}-{nnnn}` style (shared/catalog/naming.ts); absent with no prefix: the archetype's own pattern. */
  namePattern: NamePattern.optional(),
  serviceConfig: ServiceConfig.optional(),
  /** Minutes between scheduled mutations for these deckies; null = off; absent = the fleet default. */
  mutateInterval: MutateInterval.nullable().optional(),
  /** Explicit names and addresses; when given, `count` is their number. */
  deckies: z
    .array(z.strictObject({ name: DeckyName, ip: z.ipv4().optional() }))
    .max(500)
    .optional(),
});

export const DeckyView = z.strictObject({
  config: DeckyConfig,
  hostName: z.string().nullable(),
  state: z.enum(deckyStates),
  services: z.record(z.string(), z.string()),
  updatedAt: Iso,
});

export const TopologyDraft = z.strictObject({
  name: z.string().min(1).max(128),
  lans: z.array(TopologyLan).max(256),
  deckies: z.array(TopologyDecky).max(1024),
  edges: z.array(TopologyEdge).max(4096),
});

export const TopologyListItem = z.strictObject({
  id: z.string(),
  name: z.string(),
  targetHostUuid: HostUuid.nullable(),
  status: z.string(),
  versionHash: z.string(),
  appliedHash: z.string().nullable(),
  deckyCount: z.number().int(),
  lanCount: z.number().int(),
});

export const accountRoles = ['admin', 'viewer'] as const;
export type AccountRole = (typeof accountRoles)[number];
export const AccountName = z
  .string()
  .regex(/^[a-z][a-z0-9._-]{1,31}$/, 'account name must be 2-32 characters: lowercase letters, digits, ".", "_", "-"');
export const AccountPassword = z.string().min(12, 'password must be at least 12 characters').max(1024);
/** A console account as the console shows it (never the hash). */
export const AccountView = z.strictObject({
  username: z.string(),
  role: z.enum(accountRoles),
  createdAt: z.iso.datetime({ offset: true }).nullable(),
  /** The built-in admin: its password comes from DECNET_ADMIN_PASSWORD or <data>/admin-password. */
  builtin: z.boolean(),
});
export type AccountView = z.output<typeof AccountView>;

/** One state-changing command as the audit trail keeps it (secrets in `input` are masked). */
export const AuditEntry = z.strictObject({
  at: z.iso.datetime({ offset: true }),
  /** Who: `desktop` (the console's own user) or `admin@<address>` (console API session). */
  actor: z.string().max(128),
  command: z.string().max(64),
  input: z.unknown(),
  ok: z.boolean(),
  /** The error code and message of a refused or failed command. */
  error: z.strictObject({ code: z.string(), message: z.string().max(500) }).nullable(),
});
export type AuditEntry = z.output<typeof AuditEntry>;

/** Quitting the desktop console: ask each time (until remembered), keep the local deckies serving, or stop them. */
export const localDeckiesOnQuitChoices = ['ask', 'keep', 'stop'] as const;
export type LocalDeckiesOnQuit = (typeof localDeckiesOnQuitChoices)[number];

export const SettingsView = z.strictObject({
  dataDir: z.string(),
  apiListen: z.string().nullable(),
  swarmListen: z.string(),
  caFingerprint: z.string(),
  caExpiresAt: Iso,
  publicBinding: z.strictObject({ ok: z.boolean(), messages: z.array(z.string()) }),
  version: z.string(),
  /** Whether the store is on disk: a failed write makes every write command answer STORE_UNAVAILABLE. */
  store: z.strictObject({
    ok: z.boolean(),
    lastError: z.string().nullable(),
    lastWriteAt: Iso.nullable(),
    failedWrites: z.number().int(),
  }),
  /** Events refused per host because they named a decky not placed on it (impersonation or stale). */
  trust: z.strictObject({
    refusedEvents: z.array(
      z.strictObject({ hostUuid: HostUuid, unknownDecky: z.number().int(), foreignDecky: z.number().int() }),
    ),
  }),
  /** Fleet default for scheduled mutation, minutes; null = off. */
  mutateInterval: MutateInterval.nullable(),
  /** Desktop only: closing the window keeps the master running in the tray (default: quit). */
  closeToTray: z.boolean(),
  /** Desktop only: what quitting does with the embedded local agent's deckies (default: ask once). */
  localDeckiesOnQuit: z.enum(localDeckiesOnQuitChoices),
});
export type SettingsView = z.output<typeof SettingsView>;

/** The analyst-level desktop settings `settings.update` changes; at least one is given. */
export const SettingsUpdate = z
  .strictObject({
    closeToTray: z.boolean().optional(),
    localDeckiesOnQuit: z.enum(localDeckiesOnQuitChoices).optional(),
  })
  .refine((u) => u.closeToTray !== undefined || u.localDeckiesOnQuit !== undefined, {
    message: 'settings.update needs closeToTray or localDeckiesOnQuit',
  });

/** Renderer → main request/response. Key = channel name (`<domain>.<verb>`). */
export const ipcCommands = {
  'hosts.list': { input: Void, output: z.array(HostSummary) },
  'hosts.enroll': {
    input: z.strictObject({
      name: HostName,
      address: HostAddress.optional(),
      replace: z.boolean().optional(),
      ttlMinutes: z.number().int().min(1).max(1440).optional(),
    }),
    output: z.strictObject({ hostUuid: HostUuid, token: z.string(), command: z.string(), expiresAt: Iso }),
  },
  'hosts.exportBundle': {
    input: z.strictObject({ name: HostName, address: HostAddress, replace: z.boolean().optional() }),
    output: z.strictObject({ hostUuid: HostUuid, fileName: z.string(), bundleBase64: z.string(), command: z.string() }),
  },
  'hosts.agentPackage': {
    input: Void,
    output: z.strictObject({
      fileName: z.string(),
      packageBase64: z.string(),
      sha256: z.string().regex(/^[0-9a-f]{64}$/),
      command: z.string(),
    }),
  },
  'hosts.check': {
    input: z.strictObject({ hostUuid: HostUuid }),
    output: z.strictObject({ reachable: z.boolean(), version: z.string().nullable(), error: z.string().nullable() }),
  },
  'hosts.setNetwork': {
    input: z.strictObject({ hostUuid: HostUuid, settings: HostNetworkSettings }),
    output: HostSummary,
  },
  'hosts.decommission': {
    input: z.strictObject({ hostUuid: HostUuid }),
    output: z.strictObject({ wiped: z.boolean(), failedRows: z.number().int() }),
  },
  /** Pushes the shipped (or a chosen, signed) agent release to one worker's updater. */
  'hosts.update': {
    input: z.strictObject({ hostUuid: HostUuid, release: ChosenReleaseInput.optional() }),
    output: z.strictObject({ job: UpdateJob }),
  },
  /**
   * The same release for the worker's updater itself (/update-self): it restarts into it, the agent
   * untouched, and falls back to its previous release when the new one does not come up.
   */
  'hosts.updateSelf': {
    input: z.strictObject({ hostUuid: HostUuid, release: ChosenReleaseInput.optional() }),
    output: z.strictObject({ job: UpdateJob }),
  },
  /** Every worker, `waveSize` at a time; stops at the first failure. */
  'hosts.updateAll': {
    input: z.strictObject({
      waveSize: z.number().int().min(1).max(100).optional(),
      release: ChosenReleaseInput.optional(),
    }),
    output: Rollout,
  },
  'hosts.updates': {
    input: Void,
    output: z.strictObject({ hosts: z.array(HostUpdateView), rollout: Rollout.nullable() }),
  },
  'deckies.list': { input: Void, output: z.array(DeckyView) },
  'deckies.plan': {
    input: DeployPlanRequest,
    output: z.strictObject({ deckies: z.array(DeckyConfig), warnings: z.array(z.string()) }),
  },
  'deckies.deploy': {
    input: DeployPlanRequest,
    output: z.strictObject({ lifecycleIds: z.array(z.uuid()), deckies: z.array(DeckyName) }),
  },
  'deckies.mutate': {
    input: z.strictObject({
      deckyName: DeckyName,
      services: z.array(ServiceNameSchema).min(1),
      dryRun: z.boolean().optional(),
    }),
    output: z.union([
      z.strictObject({ lifecycleId: z.uuid() }),
      z.strictObject({
        dryRun: z.literal(true),
        deckyName: DeckyName,
        before: z.array(ServiceNameSchema),
        after: z.array(ServiceNameSchema),
      }),
    ]),
  },
  'deckies.setMutateInterval': {
    input: z.strictObject({ deckyName: DeckyName, mutateInterval: MutateInterval.nullable().optional() }),
    output: z.strictObject({ deckyName: DeckyName, mutateInterval: MutateInterval.nullable().optional() }),
  },
  'deckies.teardown': {
    input: z.strictObject({ deckyName: DeckyName }),
    output: z.strictObject({ lifecycleId: z.uuid() }),
  },
  /** Re-sends the recorded config of deckies that are not running: one by name, or every degraded/stopped decky of a host. */
  'deckies.redeploy': {
    input: z.union([
      z.strictObject({ deckyName: DeckyName }),
      z.strictObject({ hostUuid: HostUuid, degradedOnly: z.literal(true) }),
    ]),
    output: z.strictObject({ lifecycleIds: z.array(z.uuid()), deckies: z.array(z.string()) }),
  },
  'lifecycle.get': {
    input: z.strictObject({ ids: z.array(z.uuid()).max(1000) }),
    output: z.strictObject({ rows: z.array(LifecycleRow) }),
  },
  'lifecycle.recent': {
    input: z.strictObject({ limit: z.number().int().min(1).max(1000).optional() }),
    output: z.strictObject({ rows: z.array(LifecycleRow) }),
  },
  'topologies.list': { input: Void, output: z.array(TopologyListItem) },
  'topologies.get': { input: z.strictObject({ topologyId: z.string() }), output: HydratedTopology },
  'topologies.create': { input: TopologyDraft, output: TopologyListItem },
  'topologies.delete': {
    input: z.strictObject({ topologyId: z.string() }),
    output: z.strictObject({ deleted: z.boolean() }),
  },
  'topologies.apply': {
    input: z.strictObject({ topologyId: z.string(), hostUuid: HostUuid }),
    output: z.strictObject({ versionHash: z.string() }),
  },
  'topologies.teardown': {
    input: z.strictObject({ topologyId: z.string() }),
    output: z.strictObject({ tornDown: z.boolean() }),
  },
  'topologies.state': {
    input: z.strictObject({ topologyId: z.string() }),
    output: TopologyState.extend({ expectedHash: z.string() }),
  },
  /** Newest first over the whole stored history, keyset-paged (pass nextCursor back as cursor). */
  'events.list': { input: EventListInput, output: EventPage },
  /** Events per service in time buckets, under the same filter as events.list (default: last 24 h). */
  'events.histogram': { input: HistogramInput, output: Histogram },
  /** The attacker view: one row per source, most recently active first. */
  'sources.list': { input: SourceListInput, output: SourcePage },
  /** One source's events as sessions (decky, service, session id), oldest first. */
  'sources.timeline': { input: TimelineInput, output: Timeline },
  /** One page of the filter's events as CSV or ECS NDJSON (GET /api/v1/events/export streams them all). */
  'events.export': { input: ExportInput, output: ExportPage },
  /** Captured payloads (#22), most recently seen first; `sessions` narrows to the attacker view's sessions. */
  'artifacts.list': { input: ArtifactListInput, output: z.strictObject({ artifacts: z.array(ArtifactView) }) },
  /** One artifact as a zip protected by the password `infected` (base64; the console saves it as a file). */
  'artifacts.download': { input: z.strictObject({ sha256: Sha256 }), output: ArtifactDownload },
  /** One session recording (asciinema v2 cast text, ≤ 1 MiB) named by the SHA-256 its recording event carries. */
  'recordings.get': { input: z.strictObject({ sha256: Sha256 }), output: z.strictObject({ cast: z.string() }) },
  /** The SIEM output (DECNET_LOG_TARGET): delivery counters, backlog and the last error; null when off. */
  /** Event store retention (Settings): what is kept, how many events and bytes are stored. */
  'events.retention': { input: Void, output: RetentionView },
  'events.setRetention': { input: RetentionInput, output: RetentionView },
  'siem.status': { input: Void, output: SiemStatus },
  /** Sets the SIEM output from Settings (target null = off); saved, and it overrides the environment. */
  'siem.configure': { input: SiemConfigInput, output: SiemStatus },
  'siem.test': { input: Void, output: z.strictObject({ ok: z.boolean(), error: z.string().nullable() }) },
  'catalog.get': {
    input: Void,
    output: z.strictObject({
      services: z.array(
        z.strictObject({
          name: z.string(),
          label: z.string(),
          ports: z.array(z.string()),
          personaKeys: z.array(z.string()),
        }),
      ),
      archetypes: z.array(
        z.strictObject({ name: z.string(), label: z.string(), services: z.array(z.string()), nmapOs: z.string() }),
      ),
      distros: z.array(z.strictObject({ name: z.string(), label: z.string() })),
    }),
  },
  'settings.get': { input: Void, output: SettingsView },
  'alerts.get': {
    input: Void,
    output: z.strictObject({
      rules: z.array(AlertRule),
      channels: z.array(AlertChannel),
      status: z.record(z.string(), ChannelStatus),
    }),
  },
  'alerts.configure': {
    input: z.strictObject({
      rules: z.array(AlertRule).max(16).optional(),
      channels: z.array(AlertChannel).max(16).optional(),
    }),
    output: z.strictObject({ saved: z.literal(true) }),
  },
  'alerts.test': {
    input: z.strictObject({ channelId: z.string().min(1).max(64) }),
    output: z.strictObject({ ok: z.boolean(), error: z.string().nullable() }),
  },
  'incidents.list': {
    input: z.strictObject({
      state: z.enum(incidentStates).optional(),
      limit: z.number().int().min(1).max(5000).optional(),
    }),
    output: z.strictObject({ incidents: z.array(Incident) }),
  },
  'incidents.update': {
    input: z.strictObject({ id: z.uuid(), state: z.enum(['acknowledged', 'closed']) }),
    output: Incident,
  },
  'settings.setMutateInterval': {
    input: z.strictObject({ mutateInterval: MutateInterval.nullable() }),
    output: SettingsView,
  },
  'settings.update': { input: SettingsUpdate, output: SettingsView },
  'accounts.list': { input: Void, output: z.array(AccountView) },
  'accounts.create': {
    input: z.strictObject({ username: AccountName, password: AccountPassword, role: z.enum(accountRoles) }),
    output: AccountView,
  },
  'accounts.setPassword': {
    input: z.strictObject({ username: AccountName, password: AccountPassword }),
    output: z.strictObject({ ok: z.literal(true) }),
  },
  'accounts.remove': {
    input: z.strictObject({ username: AccountName }),
    output: z.strictObject({ ok: z.literal(true) }),
  },
  'audit.list': {
    input: z.strictObject({ limit: z.number().int().min(1).max(5000).optional() }),
    output: z.strictObject({ entries: z.array(AuditEntry) }),
  },
} as const satisfies Record<string, { input: z.ZodType; output: z.ZodType }>;

/** Main → renderer pushes. Key = channel name (`<domain>.<pastTense>`). */
export const ipcEvents = {
  'hosts.changed': z.strictObject({ hostUuids: z.array(HostUuid) }),
  'deckies.changed': z.strictObject({ deckyNames: z.array(z.string()) }),
  'deckies.mutated': z.strictObject({
    deckyName: DeckyName,
    oldServices: z.array(ServiceNameSchema),
    newServices: z.array(ServiceNameSchema),
    trigger: LifecycleTrigger,
    lifecycleId: z.uuid(),
    at: Iso,
  }),
  'lifecycle.changed': z.strictObject({ rows: z.array(LifecycleRow) }),
  'topologies.changed': z.strictObject({ topologyIds: z.array(z.string()) }),
  'events.captured': z.strictObject({ count: z.number().int(), latest: Iso }),
  'incidents.changed': z.strictObject({ incidentIds: z.array(z.uuid()) }),
  'security.alerted': z.strictObject({ kind: z.string(), message: z.string(), hostUuid: HostUuid.nullable(), at: Iso }),
} as const satisfies Record<string, z.ZodType>;

import type { Adapter } from 'lowdb';
import { createAccounts } from './console-api/accounts';
import { openAuditLog, type AuditLog } from './store/audit-log';
import { join } from 'node:path';
import { AppError } from '../../shared/errors';
import type { CommandHandlers } from '../../shared/ipc/types';
import { createLogger, type Logger } from '../../shared/node/logger';
import type { NodeSpawner } from '../../shared/node/node-spawner';
import { createAgentClient } from './agents/agent-client';
import { createAgentPool, type AgentClientFactory, type AgentPool } from './agents/agent-pool';
import { openCertificateAuthority, type CertificateAuthority } from './ca';
import { systemClock, type Clock } from './clock';
import { createAlertEngine } from './alerts/alert-engine';
import { undiciPost, type WebhookPost } from './alerts/webhook';
import { createCommandHandlers } from './commands';
import type { MasterConfig } from './config';
import { startConsoleApi, type ConsoleApi } from './console-api/server';
import { createConsoleAuth } from './console-api/setup';
import { createDeployService } from './deckies/deploy-service';
import { redriveUndispatched } from './deckies/redrive';
import { createEnrollment } from './enrollment';
import { openEventLog } from './attacker-events/event-log';
import { createArtifactIntake } from './payloads/artifact-intake';
import { openArtifactStore } from './payloads/artifact-store';
import { createSiemOutput } from './attacker-events/siem-output';
import { createEventBus, type MasterEventBus } from './bus';
import { createFleetView } from './deckies/fleet-view';
import { createSwarmHandlers } from './swarm/heartbeat-handler';
import { createHostService } from './hosts/host-service';
import { createUpdateService } from './updater/update-service';
import { createLifecycleService } from './deckies/lifecycle-service';
import { createLocalAgent, type LocalAgent } from './agents/local-agent';
import { createMutator } from './deckies/mutator';
import { createMutationScheduler, type MutationScheduler, type Timers } from './deckies/scheduler';
import { validatePublicBinding, type BindingCheck } from './public-binding';
import { durableHandlers } from './store/durable-commands';
import { jsonFileAdapter } from './store/json-adapter';
import { seenFile } from './store/seen-file';
import type { DbData } from './store/schema';
import { openStore, type Store } from './store/store';
import { createSwarmListener } from './swarm';
import { createTopologyService } from './deckies/topology-service';

// The shell and the CLI reach the core only through this entry.
export { loadConfig, type ConfigOverrides, type MasterConfig } from './config';
export { type CommandAudit, type CommandLog, invokeCommand } from './dispatch';
export type { MasterEventBus, MasterEvents } from './bus';
export { acquireDataDirLock, type DataDirLock } from './data-dir-lock';
export { CLOSE_TO_TRAY, LOCAL_DECKIES_ON_QUIT } from './commands';

export type MasterOptions = MasterConfig &
  Readonly<{
    /** out/agent/cli.js, for the embedded local agent. */
    agentCliPath?: string;
    /** out/renderer, served by the console API at `/`. */
    staticDir?: string;
    /** dist/, where `npm run package:agent` writes the worker tarball the console hands out. */
    agentPackageDir?: string;
    /** Start the headless console API (the Electron shell uses IPC instead). */
    consoleApi?: boolean;
  }>;

export type MasterDeps = Readonly<{
  adapter?: Adapter<DbData>;
  clock?: Clock;
  log?: Logger;
  agentClientFactory?: AgentClientFactory;
  /** Runs dispatch work after a command has answered. */
  defer?: (fn: () => Promise<void>) => void;
  /** One-shot timers for the mutation scheduler (tests drive it with a fake clock). */
  timers?: Timers;
  /** How alert webhooks are POSTed (default: undici); a unit test injects a recorder. */
  webhookPost?: WebhookPost;
  /** How the local agent is started: process.execPath headless, Electron-as-Node in the desktop app. */
  spawnNode?: NodeSpawner;
}>;

export type MasterStarted = Readonly<{
  swarm: { host: string; port: number; url: string };
  api: { url: string; passwordSource: 'env' | 'file' | 'generated'; passwordPath: string | null } | null;
  localAgent: { hostUuid: string | null; pid: number | null } | null;
}>;

export type Master = Readonly<{
  handlers: CommandHandlers;
  /** Where the shell's IPC loop records the desktop user's state-changing commands. */
  audit: Pick<AuditLog, 'record'>;
  events: MasterEventBus;
  store: Store;
  ca: CertificateAuthority;
  /** The mTLS clients the master dials agents with (fault tests re-send a job through it). */
  agents: AgentPool;
  start(): Promise<MasterStarted>;
  /**
   * `stopLocalDeckies` (default true, a clean quit): also stop the embedded local agent's deckies;
   * false leaves them serving for the next start (a crash always does).
   */
  stop(opts?: { stopLocalDeckies?: boolean }): Promise<void>;
  /** Runs one mutation-scheduler tick now (tests). */
  mutateTick(): ReturnType<MutationScheduler['tick']>;
  /** Runs the lifecycle sweep now (tests, and the CLI after a clock jump). */
  sweep(): number;
  /** The embedded local agent's process, when it runs. */
  localAgent(): { hostUuid: string | null; pid: number | null } | null;
}>;

/**
 * The only composition root of the master (style anchors §3.4): opens the store, the CA and the
 * event log, wires every service, and returns the command handlers plus start/stop. Everything
 * that touches the world comes through `deps`; there are no module-level singletons.
 */
export async function createMaster(config: MasterOptions, deps: MasterDeps = {}): Promise<Master> {
  const clock = deps.clock ?? systemClock;
  const log = (deps.log ?? createLogger({ level: config.logLevel })).child({ app: 'decnet-master' });
  const events = createEventBus((err) => log.error('event listener failed', { err }));
  const store = await openStore({
    adapter: deps.adapter ?? jsonFileAdapter(join(config.dataDir, 'master.json')),
    seen: seenFile(join(config.dataDir, 'hosts-seen.json'), log),
    clock,
    log,
  });
  // Dispatch to an agent only once the rows it carries are on disk: a job the master forgot after a
  // crash must never run on a worker. When the store cannot be written the job is not sent.
  const defer =
    deps.defer ??
    ((fn) =>
      void setImmediate(
        () =>
          void store
            .flush()
            .then(fn)
            .catch((err: unknown) => log.error('deferred work failed', { err })),
      ));
  const ca = await openCertificateAuthority({ dataDir: config.dataDir, clock: () => new Date(clock.now()), log });
  const identity = await ca.ensureMasterIdentity();
  // Who changed what: appended by the dispatcher for IPC and the console API (commandAccess 'change').
  const audit = openAuditLog(join(config.dataDir, 'audit.jsonl'), () => new Date(clock.now()).toISOString());
  const accounts = createAccounts(store, () => new Date(clock.now()).toISOString());
  const eventLog = await openEventLog({ dir: join(config.dataDir, 'events'), ...config.events, log });
  const artifacts = await openArtifactStore({ dir: join(config.dataDir, 'artifacts'), log });
  const hostsChanged = (uuid: string) => events.emit('hosts.changed', { hostUuids: [uuid] });
  const enrollment = createEnrollment({
    ca,
    store,
    agentPort: config.agentPort,
    onHostChanged: hostsChanged,
    clock: () => new Date(clock.now()),
    log,
  });
  const factory =
    deps.agentClientFactory ??
    ((host, id) => createAgentClient({ identity: id, host, verifyHostname: config.verifyHostname }));
  const agents = createAgentPool({ factory, identity: () => identity, log });
  const lifecycle = createLifecycleService({
    store,
    events,
    clock,
    log,
    deadlineMs: config.lifecycleDeadlineMs,
    sweepEveryMs: config.sweepEveryMs,
  });
  const fleet = createFleetView({ store, events, now: () => new Date(clock.now()).toISOString(), log });
  lifecycle.onSettled((row) => fleet.settle(row));

  let swarmUrl = '';
  const masterUrl = () => swarmUrl;
  const svc = { store, lifecycle, agents, events, clock, log, defer };
  const alerts = await createAlertEngine({
    path: join(config.dataDir, 'alerts.json'),
    clock,
    log,
    post: deps.webhookPost ?? undiciPost,
    onChanged: (ids) => events.emit('incidents.changed', { incidentIds: ids }),
  });
  events.on('security.alerted', (a) => void alerts.certMismatch(a.hostUuid, a.message));
  const hosts = createHostService({
    ...svc,
    enrollment,
    heartbeatIntervalMs: config.heartbeatIntervalMs,
    selfDestructTimeoutMs: config.selfDestructTimeoutMs,
    masterUrl,
    onOffline: (h) => void alerts.hostOffline(h.uuid, h.name),
  });
  const deploy = createDeployService({ ...svc, heartbeatIntervalMs: config.heartbeatIntervalMs });
  const agentPackageDir = config.agentPackageDir ?? join(process.cwd(), 'dist');
  const updates = createUpdateService({
    ...svc,
    ca,
    identity,
    dataDir: config.dataDir,
    agentPackageDir,
    updaterPort: config.updaterPort,
    verifyHostname: config.verifyHostname,
  });
  const mutator = createMutator(svc);
  const topologies = createTopologyService(svc);
  const mutateDefault = {
    get: (): number | null => {
      const v = store.settings.get('mutateInterval');
      return v === null || typeof v === 'number' ? v : config.mutate.defaultInterval;
    },
    set: (minutes: number | null) => {
      store.settings.set('mutateInterval', minutes);
      scheduler.wake();
    },
  };
  const scheduler = createMutationScheduler({
    store,
    mutator,
    clock,
    ...(deps.timers ? { timers: deps.timers } : {}),
    log,
    unitMs: config.mutate.unitMs,
    heartbeatIntervalMs: config.heartbeatIntervalMs,
    fleetDefault: mutateDefault.get,
    retryResyncs: () => topologies.retryFailedResyncs(clock.now(), Math.max(60_000, 2 * config.heartbeatIntervalMs)),
  });
  const syslog = createSiemOutput({
    env: { target: config.logTarget, format: config.logFormat, caFile: config.logCaFile },
    settings: store.settings,
    store: eventLog,
    deckyIp: (name) => store.fleet.get(name)?.config.ip,
    log,
  });
  const swarmHandlers = createSwarmHandlers({
    store,
    lifecycle,
    fleet,
    eventLog,
    events,
    clock,
    heartbeatIntervalMs: config.heartbeatIntervalMs,
    onTopologyReport: (h, r) => topologies.onReport(h, r),
    onEventsStored: (evs) => (syslog?.send(evs), void alerts.ingest(evs)),
    log,
  });
  const listener = createSwarmListener({
    host: config.swarm.host,
    port: config.swarm.port,
    ca,
    hosts: store.hosts,
    enrollment,
    handlers: {
      ...swarmHandlers,
      artifact: createArtifactIntake({ placedOn: (d) => store.fleet.get(d)?.placedOn, artifacts, log }),
    },
    log,
    advertise: config.swarm.advertise,
    heartbeatIntervalMs: config.heartbeatIntervalMs,
  });

  let binding: BindingCheck = { ok: true, messages: [] };
  let api: ConsoleApi | null = null;
  let localAgent: LocalAgent | null = null;
  let flushTimer: unknown = null;

  const handlers = durableHandlers(
    createCommandHandlers({
      store,
      audit,
      accounts,
      siem: syslog,
      hosts,
      updates,
      deploy,
      mutator,
      lifecycle,
      topologies,
      eventLog,
      artifacts,
      alerts,
      mutateDefault,
      caInfo: () => ca.caInfo(),
      agentPackageDir,
      settings: () => ({
        dataDir: config.dataDir,
        apiListen: api ? api.url : null,
        swarmListen: `${listener.address().host}:${listener.address().port}`,
        publicBinding: binding,
        store: store.health(),
        trust: { refusedEvents: Object.entries(swarmHandlers.refusals()).map(([hostUuid, c]) => ({ hostUuid, ...c })) },
      }),
    }),
    store,
  );

  return {
    handlers,
    audit,
    events,
    store,
    ca,
    agents,
    sweep: () => lifecycle.sweep(),
    mutateTick: () => scheduler.tick(),
    localAgent: () => (localAgent ? { hostUuid: localAgent.hostUuid(), pid: localAgent.pid() } : null),
    async start() {
      if (config.consoleApi) {
        binding = validatePublicBinding(config.env, log);
        if (!binding.ok)
          throw new AppError('INVALID_INPUT', `refusing to start the console API: ${binding.messages.join('; ')}`);
      }
      await listener.start();
      const addr = listener.address();
      swarmUrl = `https://${config.swarm.advertise[0] ?? '127.0.0.1'}:${addr.port}`;
      lifecycle.sweep();
      lifecycle.start();
      alerts.start();
      // Jobs answered before a crash but never seen dispatched: send them again (idempotent by lifecycle id).
      defer(async () => void (await redriveUndispatched(svc)));
      hosts.start(Math.max(1000, Math.floor(config.heartbeatIntervalMs / 2)));
      scheduler.start();
      flushTimer = clock.setInterval(() => void store.flushSeen(), Math.max(1000, config.heartbeatIntervalMs));
      let apiInfo: MasterStarted['api'] = null;
      if (config.consoleApi) {
        const auth = await createConsoleAuth(config, clock);
        api = await startConsoleApi({
          ...auth,
          host: config.api.host,
          port: config.api.port,
          handlers,
          audit: audit.record,
          accounts,
          events,
          corsOrigins: config.api.corsOrigins,
          staticDir: config.staticDir ?? join(process.cwd(), 'out', 'renderer'),
          log,
        });
        apiInfo = { url: api.url, passwordSource: auth.password.source, passwordPath: auth.password.path };
      }
      if (config.localAgent) {
        localAgent = createLocalAgent({
          dataDir: config.dataDir,
          cliPath: config.agentCliPath ?? join(process.cwd(), 'out', 'agent', 'cli.js'),
          spawnNode: deps.spawnNode,
          ca,
          store,
          masterUrl: () => `https://127.0.0.1:${addr.port}`,
          heartbeatIntervalS: config.heartbeatIntervalMs / 1000,
          log,
          onChange: hostsChanged,
        });
        await localAgent.start();
      }
      return {
        swarm: { host: addr.host, port: addr.port, url: swarmUrl },
        api: apiInfo,
        localAgent: localAgent ? { hostUuid: localAgent.hostUuid(), pid: localAgent.pid() } : null,
      };
    },
    async stop(opts: { stopLocalDeckies?: boolean } = {}) {
      // Reverse order of start: accept nothing new, then persist what is in memory. The local
      // agent's deckies stop with it unless the quit asked to keep them serving in the background.
      await localAgent?.stop({ stopDeckies: opts.stopLocalDeckies ?? true });
      localAgent = null;
      await api?.close();
      api = null;
      if (flushTimer !== null) clock.clearInterval(flushTimer);
      flushTimer = null;
      scheduler.stop();
      hosts.stop();
      lifecycle.stop();
      await listener.stop();
      await agents.closeAll();
      await syslog?.stop();
      await alerts.stop();
      await eventLog.close();
      await store.flushSeen();
      await store.flush();
    },
  };
}

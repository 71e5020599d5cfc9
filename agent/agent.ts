import { access, constants, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { NetworkDriver } from '../shared/domain/decky';
import type { Logger } from '../shared/node/logger';
import type { RouteClient } from '../shared/node/route-client';
import { AppError, toAppError } from '../shared/errors';
import type { SwarmApi } from '../shared/protocol/swarm-api';
import type { Clock } from './clock';
import { createDeltaReporter } from './deltas';
import { openEventSpool } from './store/event-spool';
import { openArtifactShipper } from './payloads/artifact-shipper';
import { createFleet } from './fleet';
import { createHeartbeat } from './heartbeat';
import { type AgentIdentity, loadIdentity } from './identity';
import { openJobJournal } from './job-journal';
import { openOutbox } from './store/outbox';
import { launchReaper } from './reaper';
import { createAgentHandlers } from './routes';
import type { RuntimeFactory, RuntimeName } from './runtime/types';
import { createAgentServer } from './server';
import { createStateStore, readState } from './store/state';
import { createTaskQueue } from './task-queue';
import { createTopologyManager } from './topology';
import { AGENT_PROTOCOL, AGENT_VERSION } from './version';
import { arpingProbe, type AddressProbe } from './network/arp-probe';
import { createDeckyNetwork, type DeckyNetwork } from './network/decky-network';
import { detectHostNetwork } from './network/host-network';
import { defaultRange, parseRange } from './network/relocalise';
import type { HostNetworkReport } from '../shared/domain/agent-status';

export type AgentConfig = Readonly<{
  identityDir: string;
  stateDir: string;
  listen: Readonly<{ host: string; port: number }>;
  runtime: RuntimeName;
  network: NetworkDriver;
  /** DECNET_HEARTBEAT_INTERVAL_S, default 30. */
  heartbeatIntervalS: number;
  /** DECNET_INSTALL_ROOT, default "/": the prefix of every path the reaper wipes. */
  installRoot: string;
  /** DECNET_AGENT_PARENT: parent interface of the macvlan/ipvlan links (default: the default route's). */
  parentInterface?: string;
  /** DECNET_AGENT_DECKY_RANGE: addresses deckies may take (default: the parent's whole subnet). */
  deckyRange?: string;
}>;

/** The two master calls the agent makes; `close` releases its connections on stop. */
export type MasterCalls = Pick<RouteClient<SwarmApi>, 'heartbeat' | 'events' | 'artifact'> &
  Readonly<{ close?: () => Promise<void> }>;

export type AgentDeps = Readonly<{
  runtime: RuntimeFactory;
  clock: Clock;
  log: Logger;
  masterClient: (identity: AgentIdentity) => MasterCalls;
  /** Duplicate-address probe of the macvlan/ipvlan drivers (arping -D by default; tests inject one). */
  probe?: AddressProbe;
}>;

export type Agent = Readonly<{
  /** Opens the stores and starts serving; never starts, stops or re-applies a decky. */
  start: () => Promise<{ host: string; port: number }>;
  /**
   * Stops the agent. Deckies keep running in their host processes for the next agent to re-attach
   * to, unless `stopDeckies` (tests, the console's "stop local deckies on quit").
   */
  stop: (opts?: { stopDeckies?: boolean }) => Promise<void>;
  /** Settles once a self-destruct has torn everything down and launched the reaper. */
  selfDestructed: Promise<void>;
}>;

/** The composition root of the worker agent: every collaborator is built here, none is global. */
export function createAgent(config: AgentConfig, deps: AgentDeps): Agent {
  const { clock, log } = deps;
  let stopFns: Array<(o: { stopDeckies?: boolean }) => Promise<void>> = [];
  let destructing = false;
  let markDestructed: () => void = () => undefined;
  const selfDestructed = new Promise<void>((resolve) => (markDestructed = resolve));

  const start: Agent['start'] = async () => {
    await ensureWritableDir(config.stateDir);
    const identity = await loadIdentity(config.identityDir);
    // A corrupt state refuses the start with a clear message instead of being silently replaced.
    const statePath = join(config.stateDir, 'state.json');
    await readState(statePath);
    const master = deps.masterClient(identity);
    const outbox = await openOutbox(config.stateDir, log.child({ part: 'outbox' }));
    const spool = await openEventSpool({
      stateDir: config.stateDir,
      upload: (events) => master.events({ events: [...events] }),
      clock,
      log: log.child({ part: 'events' }),
    });
    const artifacts = await openArtifactShipper({
      stateDir: config.stateDir,
      deckiesDir: join(config.stateDir, 'deckies'),
      upload: (body) => master.artifact(body),
      clock,
      log: log.child({ part: 'artifacts' }),
    });
    const deckyNetwork = config.network === 'loopback' ? undefined : await openDeckyNetwork(config, deps);
    const runtime = deps.runtime({
      network: config.network,
      ...(deckyNetwork ? { deckyNetwork } : {}),
      dataDir: join(config.stateDir, 'deckies'),
      hostsDir: join(config.stateDir, 'hosts'),
      onEvent: (e) => {
        spool.add(e);
        artifacts.offer(e);
      },
      flushEvents: () => Promise.all([spool.flush(), artifacts.flush()]).then(() => undefined),
      clock,
      log: log.child({ part: 'runtime' }),
    });
    // Deckies a previous agent left running are taken over before anything reports status, so the
    // first heartbeat already says `running` (re-attaching starts and stops nothing).
    await runtime.attach?.();
    const state = createStateStore(config.stateDir);
    const queue = createTaskQueue();
    const topology = createTopologyManager({
      stateDir: config.stateDir,
      runtime,
      fleetDeckyNames: async () => new Set(((await state.load())?.deckies ?? []).map((d) => d.name)),
      clock,
      log: log.child({ part: 'topology' }),
    });
    // Built before the heartbeat that needs its status(); the reporter only pushes once the loop exists.
    let push: () => void = () => undefined;
    // The real port (a `:0` listen picks one): reported so the master dials this worker on it.
    let listenPort = () => 0;
    const journal = await openJobJournal(config.stateDir, () => clock.now(), log.child({ part: 'jobs' }));
    const fleet = createFleet({
      state,
      runtime,
      queue,
      report: createDeltaReporter({ outbox, push: () => push(), clock, log }),
      journal,
      clock,
      log: log.child({ part: 'fleet' }),
    });
    const heartbeat = createHeartbeat({
      intervalMs: config.heartbeatIntervalS * 1000,
      snapshot: async () => ({
        hostUuid: identity.hostUuid,
        agentVersion: AGENT_VERSION,
        protocol: AGENT_PROTOCOL,
        status: await fleet.status(),
        topology: await topology.report(),
        network: networkReport(config, deckyNetwork, listenPort),
      }),
      send: (body) => master.heartbeat(body),
      outbox,
      clock,
      log: log.child({ part: 'heartbeat' }),
    });
    push = heartbeat.push;
    await fleet.recover();

    const selfDestruct = (): void => {
      if (destructing) return;
      destructing = true;
      void (async () => {
        log.warn('self-destruct requested: tearing down every decky and topology');
        await fleet
          .wipe()
          .catch((err: unknown) =>
            log.error('fleet teardown failed during self-destruct', { err: toAppError(err).message }),
          );
        await topology
          .teardown()
          .catch((err: unknown) =>
            log.error('topology teardown failed during self-destruct', { err: toAppError(err).message }),
          );
        await runtime.down().catch(() => undefined);
        try {
          const { scriptPath, via } = await launchReaper({ installRoot: config.installRoot, agentPid: process.pid });
          log.warn('reaper launched; the agent exits now', { scriptPath, via });
          markDestructed();
        } catch (err) {
          // Staying up (with nothing deployed) lets the master see the host and retry; exiting
          // would leave the install in place with no agent to ask.
          destructing = false;
          log.critical('cannot launch the reaper; the agent keeps running', { err: toAppError(err).message });
        }
      })();
    };

    const server = createAgentServer({
      identity,
      listen: config.listen,
      handlers: createAgentHandlers({
        fleet,
        topology,
        selfDestruct,
        network: () => ({
          driver: config.network,
          ...(deckyNetwork ? { interface: deckyNetwork.host.interface } : {}),
        }),
        log,
      }),
      log: log.child({ part: 'server' }),
    });
    await server.start();
    listenPort = () => server.address().port;
    heartbeat.start();
    spool.start();
    artifacts.start();
    stopFns = [
      () => server.stop(),
      () => heartbeat.stop(),
      // Before the spool stops: detaching acks the host processes' last events once they are on disk.
      (o) => (o.stopDeckies || !runtime.detach ? runtime.close() : runtime.detach()),
      () => spool.stop(),
      () => artifacts.stop(),
      () => master.close?.() ?? Promise.resolve(),
    ];
    const address = server.address();
    log.info('agent started', {
      version: AGENT_VERSION,
      hostUuid: identity.hostUuid,
      listen: address,
      runtime: config.runtime,
      network: config.network,
    });
    return address;
  };

  return {
    start,
    stop: async (o = {}) => {
      const fns = stopFns;
      stopFns = [];
      for (const fn of fns)
        await fn(o).catch((err: unknown) => log.warn('error while stopping', { err: toAppError(err).message }));
    },
    selfDestructed,
  };
}

async function ensureWritableDir(dir: string): Promise<void> {
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    await access(dir, constants.R_OK | constants.W_OK | constants.X_OK);
  } catch (err) {
    throw new AppError(
      'INTERNAL',
      `state directory ${dir} is not usable: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
    );
  }
}

/** Detects the LAN the deckies attach to; a worker without one refuses to start with the fix in one line. */
async function openDeckyNetwork(config: AgentConfig, deps: AgentDeps): Promise<DeckyNetwork> {
  const driver = config.network === 'ipvlan' ? 'ipvlan' : 'macvlan';
  let host;
  try {
    host = await detectHostNetwork(config.parentInterface);
  } catch (err) {
    throw new AppError('INVALID_INPUT', `the ${driver} driver cannot start: ${(err as Error).message}`);
  }
  const range = config.deckyRange ? parseRange(config.deckyRange) : defaultRange(host);
  deps.log.info('decky network', {
    driver,
    interface: host.interface,
    subnet: host.subnet,
    gateway: host.gateway ?? null,
  });
  return createDeckyNetwork({
    driver,
    host,
    range,
    probe: deps.probe ?? arpingProbe,
    log: deps.log.child({ part: 'network' }),
  });
}

/** What the heartbeat reports of this worker's network: the master plans and dials from it. */
function networkReport(
  config: AgentConfig,
  net: DeckyNetwork | undefined,
  listenPort: () => number,
): HostNetworkReport {
  const port = listenPort();
  return {
    driver: config.network,
    ...(port > 0 ? { listenPort: port } : {}),
    ...(net
      ? {
          interface: net.host.interface,
          address: net.host.address,
          subnet: net.host.subnet,
          ...(net.host.gateway ? { gateway: net.host.gateway } : {}),
        }
      : {}),
  };
}

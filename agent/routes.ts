import type { NetworkConfig, NetworkDriver } from '../shared/domain/decky';
import type { Logger } from '../shared/node/logger';
import { AppError, toAppError } from '../shared/errors';
import type { AgentApi } from '../shared/protocol/agent-api';
import type { RouteHandlers } from '../shared/protocol/route';
import type { Fleet } from './fleet';
import type { TopologyManager } from './topology';
import { AGENT_PROTOCOL, AGENT_VERSION } from './version';

export type RouteDeps = Readonly<{
  fleet: Fleet;
  topology: TopologyManager;
  /** Starts the wipe in the background; called once, later calls are no-ops. */
  selfDestruct: () => void;
  /** The driver and parent interface this agent runs its deckies on (from agent.env / flags). */
  network: () => Readonly<{ driver: NetworkDriver; interface?: string }>;
  log: Logger;
}>;

/**
 * The agent API. Deploy, mutate, teardown and self-destruct answer 202 at once and work in the
 * background; a dry run answers synchronously and has no side effect.
 */
export function createAgentHandlers(deps: RouteDeps): RouteHandlers<AgentApi, unknown> {
  const { fleet, topology } = deps;
  return {
    health: () => Promise.resolve({ status: 'ok' as const, version: AGENT_VERSION, protocol: AGENT_PROTOCOL }),
    status: () => fleet.status(),
    deploy: (req) => {
      checkNetwork(req.config.network, deps.network());
      if (req.dryRun) {
        req.config.deckies.forEach((d) => deps.fleet.checkDeploy(d));
        return Promise.resolve({
          status: 200,
          body: { status: 'dry_run' as const, deckies: req.config.deckies.map((d) => d.name) },
        });
      }
      return fleet.deploy(req).then((deckies) => ({ status: 'accepted' as const, deckies }));
    },
    mutate: async (req) => {
      if (req.dryRun) {
        const next = await fleet.checkMutate(req);
        return { status: 200, body: { status: 'dry_run' as const, deckyId: req.deckyId, services: next.services } };
      }
      await fleet.mutate(req);
      return { status: 'accepted' as const, deckyId: req.deckyId, services: req.services };
    },
    teardown: async (req) => ({ status: 'accepted' as const, deckies: await fleet.teardown(req) }),
    topologyApply: async (req) => {
      try {
        const { topologyId, versionHash } = await topology.apply(req.hydrated, req.versionHash);
        return { status: 'applied' as const, topologyId, versionHash };
      } catch (err) {
        deps.log.warn('topology apply refused or failed', { err: toAppError(err).message });
        throw err;
      }
    },
    topologyTeardown: async (req) => {
      await topology.teardown(req.topologyId);
      return { status: 'torn_down' as const, topologyId: req.topologyId };
    },
    topologyState: () => topology.state(),
    selfDestruct: () => {
      deps.selfDestruct();
      return Promise.resolve({ status: 'accepted' as const });
    },
  };
}

/**
 * The runtime's network is fixed when the agent starts; a deploy asking for another driver or
 * parent (the console's Hosts page settings) is refused with the fix instead of being run on
 * what the agent happens to have.
 */
function checkNetwork(asked: NetworkConfig, running: Readonly<{ driver: NetworkDriver; interface?: string }>): void {
  if (asked.driver !== running.driver)
    throw new AppError(
      'CONFLICT',
      `this worker runs its deckies on the ${running.driver} driver, the console asks for ${asked.driver}: set DECNET_AGENT_NETWORK=${asked.driver} in /etc/decnet/agent.env and restart decnet-agent, or clear the host's driver setting`,
    );
  if (asked.interface && running.interface && asked.interface !== running.interface)
    throw new AppError(
      'CONFLICT',
      `this worker's deckies attach to ${running.interface}, the console asks for ${asked.interface}: set DECNET_AGENT_PARENT=${asked.interface} in /etc/decnet/agent.env and restart decnet-agent, or clear the host's interface setting`,
    );
}

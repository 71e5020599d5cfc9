import type { Logger } from '../shared/node/logger';
import { toAppError } from '../shared/errors';
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

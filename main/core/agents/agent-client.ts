import { Agent } from 'undici';
import type { z } from 'zod';
import { AppError } from '../../../shared/errors';
import { createRouteClient } from '../../../shared/node/route-client';
import { clientTlsOptions, httpsOrigin, verifyHostnameFromEnv, type TlsIdentity } from '../../../shared/node/tls';
import { agentApi, type AgentApi, type DeployRequest, type MutateAnswer } from '../../../shared/protocol/agent-api';
import type { RouteInput, RouteOutput } from '../../../shared/protocol/route';

export type AgentHost = Readonly<{ uuid: string; name: string; address: string; port: number; fingerprint: string }>;

export type AgentClientOptions = Readonly<{
  /** The master identity (role master) presented as client certificate. */
  identity: TlsIdentity;
  host: AgentHost;
  /** Check the worker certificate's SANs against the dialled address; default DECNET_VERIFY_HOSTNAME (off). */
  verifyHostname?: boolean;
  /** Where DECNET_VERIFY_HOSTNAME is read when `verifyHostname` is not given. */
  env?: NodeJS.ProcessEnv;
}>;

type Out<K extends keyof AgentApi> = Promise<RouteOutput<AgentApi[K]>>;

export type AgentClient = Readonly<{
  health(): Out<'health'>;
  status(): Out<'status'>;
  deploy(req: z.input<typeof DeployRequest>): Out<'deploy'>;
  mutate(
    deckyId: string,
    services: string[],
    opts?: { dryRun?: boolean; lifecycleId?: string },
  ): Promise<z.output<typeof MutateAnswer>>;
  teardown(req?: RouteInput<AgentApi['teardown']>): Out<'teardown'>;
  selfDestruct(): Out<'selfDestruct'>;
  applyTopology(hydrated: RouteInput<AgentApi['topologyApply']>['hydrated'], versionHash: string): Out<'topologyApply'>;
  teardownTopology(topologyId: string): Out<'topologyTeardown'>;
  getTopologyState(): Out<'topologyState'>;
  close(): Promise<void>;
}>;

/**
 * Master → worker RPC. Trusts our CA only, presents the master identity, and pins the worker's
 * certificate fingerprint in every handshake (session resumption is off, since a resumed session
 * skips checkServerIdentity), so a wrong worker fails with FingerprintMismatchError before any
 * request byte is sent.
 */
export function createAgentClient(opts: AgentClientOptions): AgentClient {
  const { host } = opts;
  if (!/^[0-9a-f]{64}$/i.test(host.fingerprint)) {
    throw new AppError('INVALID_INPUT', `host ${host.name} has no valid certificate fingerprint to pin`);
  }
  const verifyHostname = opts.verifyHostname ?? verifyHostnameFromEnv(opts.env ?? process.env);
  const peer = `${host.name} (${host.address}:${host.port})`;
  const dispatcher = new Agent({
    connect: {
      ...clientTlsOptions({ ...opts.identity, pin: host.fingerprint, verifyHostname, peerName: peer }),
      maxCachedSessions: 0,
    },
  });
  const rpc = createRouteClient(agentApi, { origin: httpsOrigin(host.address, host.port), dispatcher, peer });
  return {
    health: () => rpc.health({}),
    status: () => rpc.status({}),
    deploy: (req) => rpc.deploy(req as RouteInput<AgentApi['deploy']>),
    mutate: (deckyId, services, o = {}) =>
      rpc.mutate({ deckyId, services: services as RouteInput<AgentApi['mutate']>['services'], ...definedOnly(o) }),
    teardown: (req = {}) => rpc.teardown(req),
    selfDestruct: () => rpc.selfDestruct({}),
    applyTopology: (hydrated, versionHash) => rpc.topologyApply({ hydrated, versionHash }),
    teardownTopology: (topologyId) => rpc.topologyTeardown({ topologyId }),
    getTopologyState: () => rpc.topologyState({}),
    close: () => dispatcher.close(),
  };
}

function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

import { createRouteClient, type RouteClient } from '../../../shared/node/route-client';
import { httpsOrigin, type TlsIdentity } from '../../../shared/node/tls';
import { agentApi, type AgentApi } from '../../../shared/protocol/agent-api';
import { createPinnedDispatcher } from './pinned-dispatcher';

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

/** The agent's route table as a client (the worker side's MasterClient is the same over SwarmApi). */
export type AgentClient = RouteClient<AgentApi> & Readonly<{ close(): Promise<void> }>;

/**
 * Master → worker RPC over the pinned mTLS dispatcher (pinned-dispatcher.ts): a wrong worker
 * fails with FingerprintMismatchError before any request byte is sent.
 */
export function createAgentClient(opts: AgentClientOptions): AgentClient {
  const { host } = opts;
  const { dispatcher, peerName } = createPinnedDispatcher({ ...opts, peer: host });
  return {
    ...createRouteClient(agentApi, { origin: httpsOrigin(host.address, host.port), dispatcher, peer: peerName }),
    close: () => dispatcher.close(),
  };
}

import { Agent } from 'undici';
import { AppError } from '../../../shared/errors';
import { createRouteClient, type RouteClient } from '../../../shared/node/route-client';
import { clientTlsOptions, httpsOrigin, verifyHostnameFromEnv, type TlsIdentity } from '../../../shared/node/tls';
import { agentApi, type AgentApi } from '../../../shared/protocol/agent-api';

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
  return {
    ...createRouteClient(agentApi, { origin: httpsOrigin(host.address, host.port), dispatcher, peer }),
    close: () => dispatcher.close(),
  };
}

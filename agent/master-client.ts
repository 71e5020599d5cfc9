import { Agent } from 'undici';
import { createRouteClient, type RouteClient } from '../shared/node/route-client';
import { sessionKeepingConnector } from '../shared/node/session-connector';
import { clientTlsOptions, type TlsIdentity } from '../shared/node/tls';
import { swarmApi, type SwarmApi } from '../shared/protocol/swarm-api';

export type MasterClient = RouteClient<SwarmApi> & Readonly<{ close(): Promise<void> }>;

/**
 * Worker → master calls (heartbeat, events) with the worker certificate. Only our CA is trusted and
 * the server must hold a swarm-role certificate, so another worker cannot pose as the master. The
 * TLS session is resumed: a large fleet's master keeps connections alive only briefly
 * (swarmKeepAliveMs), and a resumed handshake costs it about half a full one.
 */
export function createMasterClient(identity: TlsIdentity, masterUrl: string): MasterClient {
  const origin = new URL(masterUrl).origin;
  const dispatcher = new Agent({
    connect: sessionKeepingConnector(
      clientTlsOptions({ ...identity, requireRole: 'swarm', peerName: `master ${origin}` }),
    ),
  });
  return {
    ...createRouteClient(swarmApi, { origin, dispatcher, peer: `master ${origin}` }),
    close: () => dispatcher.close(),
  };
}

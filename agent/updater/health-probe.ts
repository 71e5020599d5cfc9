import { Agent } from 'undici';
import { createRouteClient } from '../../shared/node/route-client';
import { clientTlsOptions, fingerprintOfPem, httpsOrigin, type TlsIdentity } from '../../shared/node/tls';
import { agentApi } from '../../shared/protocol/agent-api';

/** What one probe of the agent's /health found: its version, or why there was none. */
export type Probe = { ok: true; version: string } | { ok: false; error: string };

export type HealthProbe = Readonly<{ probe(): Promise<Probe>; close(): Promise<void> }>;

/**
 * The agent's GET /health over mTLS with this host's own certificate (the agent admits exactly
 * that certificate on /health besides the master). The agent serves the same certificate, so the
 * pin is our own fingerprint and the check still runs in every handshake.
 */
export function agentHealthProbe(o: {
  identity: TlsIdentity;
  address: string;
  port: number;
  timeoutMs?: number;
}): HealthProbe {
  const pin = fingerprintOfPem(o.identity.certPem);
  const dispatcher = new Agent({
    connect: { ...clientTlsOptions({ ...o.identity, pin, peerName: 'local agent' }), maxCachedSessions: 0 },
  });
  const client = createRouteClient(agentApi, {
    origin: httpsOrigin(o.address, o.port),
    dispatcher,
    peer: `local agent (${o.address}:${o.port})`,
  });
  return {
    async probe() {
      try {
        const h = await client.health({}, { timeoutMs: o.timeoutMs ?? 3000 });
        return { ok: true, version: h.version };
      } catch (err) {
        return { ok: false, error: (err as Error).message };
      }
    },
    close: () => dispatcher.close(),
  };
}

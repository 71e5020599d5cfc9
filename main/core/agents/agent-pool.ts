import { AppError } from '../../../shared/errors';
import type { Logger } from '../../../shared/node/logger';
import type { TlsIdentity } from '../../../shared/node/tls';
import type { AgentClient, AgentHost } from './agent-client';
import type { HostRecord } from '../store/schema';

export type AgentClientFactory = (host: AgentHost, identity: TlsIdentity) => AgentClient;

export type AgentPool = ReturnType<typeof createAgentPool>;

/**
 * One AgentClient (one undici dispatcher, so one keep-alive connection pool) per host, rebuilt
 * when the host's address, port or pinned fingerprint changes.
 */
export function createAgentPool(
  opts: Readonly<{ factory: AgentClientFactory; identity: () => TlsIdentity; log: Logger }>,
) {
  const clients = new Map<string, { key: string; client: AgentClient }>();

  const drop = (uuid: string) => {
    const c = clients.get(uuid);
    if (!c) return;
    clients.delete(uuid);
    c.client.close().catch((err: unknown) => opts.log.debug('agent client close failed', { uuid, err }));
  };

  return {
    for(host: HostRecord): AgentClient {
      if (!host.address)
        throw new AppError(
          'CONFLICT',
          `host ${host.name} has no address to reach its agent at; re-enroll it with --address`,
        );
      if (!host.fingerprint) throw new AppError('CONFLICT', `host ${host.name} has no certificate to pin`);
      const key = `${host.address}|${host.agentPort}|${host.fingerprint}`;
      const cached = clients.get(host.uuid);
      if (cached?.key === key) return cached.client;
      drop(host.uuid);
      const client = opts.factory(
        {
          uuid: host.uuid,
          name: host.name,
          address: host.address,
          port: host.agentPort,
          fingerprint: host.fingerprint,
        },
        opts.identity(),
      );
      clients.set(host.uuid, { key, client });
      return client;
    },
    drop,
    async closeAll(): Promise<void> {
      const all = [...clients.values()];
      clients.clear();
      await Promise.allSettled(all.map((c) => c.client.close()));
    },
  };
}

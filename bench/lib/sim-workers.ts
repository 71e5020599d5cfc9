// Simulated workers for the master benches: enrolled hosts with real certificates from the real CA
// (issued once into a cache dir and reused), each with its own keep-alive mTLS dispatcher, posting
// the real heartbeat and event bodies to the real swarm listener, as many agents would.
import { randomUUID } from 'node:crypto';
import { cp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createSecureContext } from 'node:tls';
import { Agent, request } from 'undici';
import { openCertificateAuthority } from '../../main/core/ca';
import { systemClock } from '../../main/core/clock';
import { jsonFileAdapter } from '../../main/core/store/json-adapter';
import { openStore } from '../../main/core/store/store';
import type { HeartbeatBody } from '../../shared/domain/agent-status';
import type { AttackerEvent } from '../../shared/domain/events';
import { silentLogger } from '../../shared/node/logger';
import { sessionKeepingConnector } from '../../shared/node/session-connector';
import { clientTlsOptions } from '../../shared/node/tls';

export type SimIdentity = {
  hostUuid: string;
  name: string;
  certPem: string;
  keyPem: string;
  fingerprint: string;
  expiresAt: string;
};

/** `n` worker identities signed by the CA in `cache/ca` (created on first use). */
export async function simIdentities(cache: string, n: number): Promise<{ caPem: string; ids: SimIdentity[] }> {
  await mkdir(cache, { recursive: true });
  const ca = await openCertificateAuthority({ dataDir: cache });
  const file = join(cache, 'identities.json');
  const have = JSON.parse(await readFile(file, 'utf8').catch(() => '[]')) as SimIdentity[];
  const missing = Math.max(0, n - have.length);
  for (let done = 0; done < missing; done += 256) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(256, missing - done) }, async (_, k) => {
        const hostUuid = randomUUID();
        const name = `sim-${have.length + k}`;
        const id = await ca.issueWorkerBundleIdentity({ hostUuid, name, addresses: ['127.0.0.1'] });
        return {
          hostUuid,
          name,
          certPem: id.certPem,
          keyPem: id.keyPem,
          fingerprint: id.fingerprint,
          expiresAt: id.expiresAt.toISOString(),
        };
      }),
    );
    have.push(...batch);
  }
  if (missing > 0) await writeFile(file, JSON.stringify(have), { mode: 0o600 });
  return { caPem: ca.caInfo().pem, ids: have.slice(0, n) };
}

/** A master data dir whose CA is the cache's and whose store already has every identity enrolled. */
export async function seedDataDir(cache: string, dataDir: string, ids: readonly SimIdentity[]): Promise<void> {
  await rm(dataDir, { recursive: true, force: true });
  await mkdir(dataDir, { recursive: true });
  await cp(join(cache, 'ca'), join(dataDir, 'ca'), { recursive: true });
  const store = await openStore({
    adapter: jsonFileAdapter(join(dataDir, 'master.json')),
    clock: systemClock,
    log: silentLogger,
  });
  for (const id of ids) {
    store.hosts.add({
      uuid: id.hostUuid,
      name: id.name,
      address: '127.0.0.1',
      agentPort: 8765,
      fingerprint: id.fingerprint,
      certExpiresAt: id.expiresAt,
      enrolledAt: new Date().toISOString(),
      local: false,
      lastHeartbeatAt: null,
      lastEventsAt: null,
      agentVersion: null,
      topology: null,
    });
  }
  await store.flush();
}

export type SimWorker = {
  id: SimIdentity;
  deckies: string[];
  beat: () => Promise<void>;
  events: (events: Omit<AttackerEvent, 'id' | 'decky' | 'host'>[]) => Promise<void>;
  close: () => Promise<void>;
};

/** One simulated worker reporting `deckies` running deckies, speaking mTLS with its own certificate. */
export function simWorker(base: string, caPem: string, id: SimIdentity, index: number, deckies: number): SimWorker {
  // One connection per host as an agent has, given up after 4 s idle (before the server does). Each
  // worker connects from its own 127.x address, as real workers have their own: the listener caps
  // connections per source address (128), which one shared address would hit at once.
  const dispatcher = new Agent({
    // The agent's connector: its TLS session outlives garbage collections between beats.
    connect: sessionKeepingConnector({
      ...clientTlsOptions({ caPem }),
      secureContext: createSecureContext({ ca: caPem, cert: id.certPem, key: id.keyPem }),
    }),
    // undici's connector takes the source address from the client option, not from `connect`.
    localAddress: `127.43.${(index + 1) >> 8}.${(index + 1) & 255}`,
    connections: 1,
    keepAliveTimeout: 4_000,
  });
  const names = Array.from({ length: deckies }, (_, j) => `s${index}-d${j}`);
  const beatBody = JSON.stringify(heartbeat(id.hostUuid, index, names));
  const post = async (path: string, body: string): Promise<void> => {
    const res = await request(`${base}${path}`, {
      method: 'POST',
      dispatcher,
      headers: { 'content-type': 'application/json' },
      body,
    });
    await res.body.text();
    if (res.statusCode !== 200) throw new Error(`${path} answered ${res.statusCode}`);
  };
  let n = 0;
  return {
    id,
    deckies: names,
    beat: () => post('/swarm/heartbeat', beatBody),
    events: (events) =>
      post(
        '/swarm/events',
        JSON.stringify({ events: events.map((e) => ({ ...e, id: randomUUID(), decky: names[n++ % names.length]! })) }),
      ),
    close: () => dispatcher.close(),
  };
}

function heartbeat(hostUuid: string, index: number, names: string[]): HeartbeatBody {
  return {
    hostUuid,
    agentVersion: 'sim-0.1.0',
    protocol: 1,
    status: {
      deployed: true,
      deckies: names.map((name, j) => ({
        name,
        ip: `10.${(index >> 8) & 255}.${index & 255}.${j + 1}`,
        hostname: name,
        services: ['ssh', 'http'],
        distro: 'debian',
        nmapOs: 'linux',
        hostUuid,
        serviceConfig: {},
      })),
      runtime: Object.fromEntries(
        names.map((d) => [d, { running: true, restarts: 0, services: { ssh: 'running', http: 'running' } }]),
      ),
    },
    topology: { topologyId: null, appliedVersionHash: null, appliedAt: null, lastError: null },
    lifecycle: [],
  };
}

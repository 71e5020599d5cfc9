import { readFile } from 'node:fs/promises';
import { createRouteClient } from '../../../shared/node/route-client';
import { httpsOrigin, type TlsIdentity } from '../../../shared/node/tls';
import { UPDATER_DEFAULT_PORT, updaterApi, type UpdateJob } from '../../../shared/protocol/updater-api';
import { createPinnedDispatcher, type PinnedPeer } from '../agents/pinned-dispatcher';

export type UpdaterClientOptions = Readonly<{
  identity: TlsIdentity;
  /** The worker (its certificate fingerprint is the pin); `port` defaults to the updater's 8766. */
  host: Omit<PinnedPeer, 'port'> & { port?: number };
  verifyHostname?: boolean;
  env?: NodeJS.ProcessEnv;
}>;

/** What pushUpdate sends besides the tarball: its SHA-256, signature, and the endorsed release key. */
export type ReleaseProof = Readonly<{ releaseKeyPem: string; endorsementBase64: string }>;

export type UpdaterClient = ReturnType<typeof createUpdaterClient>;

async function pushBody(tarball: Buffer | string, sha256: string, signatureBase64: string, proof: ReleaseProof) {
  const bytes = typeof tarball === 'string' ? await readFile(tarball) : tarball;
  const { releaseKeyPem, endorsementBase64 } = proof;
  return { tarballBase64: bytes.toString('base64'), sha256, signatureBase64, releaseKeyPem, endorsementBase64 };
}

/**
 * Master → updater RPC with exactly the AgentClient's TLS rules (createPinnedDispatcher: our CA,
 * master identity, fingerprint pin in every handshake, DECNET_VERIFY_HOSTNAME when the caller
 * passes nothing). The updater presents the worker's own certificate, so the pin is the host's.
 */
export function createUpdaterClient(opts: UpdaterClientOptions) {
  const peer = { ...opts.host, port: opts.host.port ?? UPDATER_DEFAULT_PORT };
  const { dispatcher, peerName } = createPinnedDispatcher({ ...opts, peer });
  const api = createRouteClient(updaterApi, {
    origin: httpsOrigin(peer.address, peer.port),
    dispatcher,
    peer: `updater on ${peerName}`,
  });
  return {
    health: () => api.health({}),
    releases: async () => (await api.releases({})).releases,
    /** Sends the tarball (bytes or a path); the updater verifies it all before writing anything. */
    async pushUpdate(tarball: Buffer | string, sha256: string, signatureBase64: string, proof: ReleaseProof) {
      return (await api.update(await pushBody(tarball, sha256, signatureBase64, proof))).job;
    },
    /**
     * The same signed release for the updater itself (/update-self): it restarts into it while the
     * agent keeps running, and falls back to its previous release when the new one does not come
     * up. Follow the job with `job(id)`; the updater is briefly unreachable while it restarts.
     */
    async updateSelf(tarball: Buffer | string, sha256: string, signatureBase64: string, proof: ReleaseProof) {
      return (await api.updateSelf(await pushBody(tarball, sha256, signatureBase64, proof))).job;
    },
    rollback: async (): Promise<UpdateJob> => (await api.rollback({})).job,
    job: async (id: string): Promise<UpdateJob> => (await api.job({ id })).job,
    close: () => dispatcher.close(),
  };
}

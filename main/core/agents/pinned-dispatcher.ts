import { Agent } from 'undici';
import { AppError } from '../../../shared/errors';
import { clientTlsOptions, verifyHostnameFromEnv, type TlsIdentity } from '../../../shared/node/tls';

/** A worker as the master dials it: any daemon on it (agent, updater) presents the same certificate. */
export type PinnedPeer = Readonly<{ name: string; address: string; port: number; fingerprint: string }>;

export type PinnedDispatcherOptions = Readonly<{
  /** The master identity (role master) presented as client certificate. */
  identity: TlsIdentity;
  peer: PinnedPeer;
  /** Check the worker certificate's SANs against the dialled address; default DECNET_VERIFY_HOSTNAME (off). */
  verifyHostname?: boolean;
  /** Where DECNET_VERIFY_HOSTNAME is read when `verifyHostname` is not given. */
  env?: NodeJS.ProcessEnv;
}>;

/**
 * The TLS rules of every master → worker call, in one place (AgentClient, UpdaterClient): trusts
 * our CA only, presents the master identity, and pins the worker's certificate fingerprint in every
 * handshake (session resumption is off, since a resumed session skips checkServerIdentity), so a
 * wrong worker fails with FingerprintMismatchError before any request byte is sent.
 */
export function createPinnedDispatcher(opts: PinnedDispatcherOptions): { dispatcher: Agent; peerName: string } {
  const { peer } = opts;
  if (!/^[0-9a-f]{64}$/i.test(peer.fingerprint)) {
    throw new AppError('INVALID_INPUT', `host ${peer.name} has no valid certificate fingerprint to pin`);
  }
  const verifyHostname = opts.verifyHostname ?? verifyHostnameFromEnv(opts.env ?? process.env);
  const peerName = `${peer.name} (${peer.address}:${peer.port})`;
  const dispatcher = new Agent({
    connect: {
      ...clientTlsOptions({ ...opts.identity, pin: peer.fingerprint, verifyHostname, peerName }),
      maxCachedSessions: 0,
    },
  });
  return { dispatcher, peerName };
}

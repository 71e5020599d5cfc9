import type net from 'node:net';
import ssh2 from 'ssh2';
import { KexInit } from 'ssh2/lib/protocol/kex.js';
import { offeredAlgorithms } from './ssh-algorithms';

/**
 * ssh2's Server builds one KEXINIT from its own defaults and always appends `ssh-rsa` to the host
 * key list (a bug: an absent `ssh-rsa` sorts as Infinity and is added anyway), so `algorithms`
 * alone cannot reproduce OpenSSH's lists. This hands each socket to ssh2's own per-connection class
 * (exported as `Server.IncomingClient`) with a KEXINIT built from the real sshd's lists; events,
 * authentication and channels stay ssh2's.
 */
type IncomingClientCtor = new (
  socket: net.Socket,
  hostKeys: Record<string, ssh2.ParsedKey>,
  ident: Buffer,
  offer: unknown,
  debug: undefined,
  server: ssh2.Server,
  srvCfg: ssh2.ServerConfig,
) => unknown;

export type SshOffer = Readonly<{
  inject: (server: ssh2.Server, socket: net.Socket) => void;
  dropped: readonly string[];
}>;

/** Host key algorithm names each key type can sign with (RSA signs with sha2 or legacy sha1). */
const signs: Record<string, readonly string[]> = {
  'ssh-rsa': ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'],
  'ecdsa-sha2-nistp256': ['ecdsa-sha2-nistp256'],
  'ssh-ed25519': ['ssh-ed25519'],
};

export function createSshOffer(ident: string, hostKeyPems: readonly string[], srvCfg: ssh2.ServerConfig): SshOffer {
  const lists = offeredAlgorithms(ident);
  const byAlgo: Record<string, ssh2.ParsedKey> = {};
  for (const pem of hostKeyPems) {
    const parsed = ssh2.utils.parseKey(pem);
    if (parsed instanceof Error) throw new Error(`ssh host key: ${parsed.message}`);
    const key = Array.isArray(parsed) ? (parsed[0] as ssh2.ParsedKey) : parsed;
    for (const algo of signs[key.type] ?? [key.type]) byAlgo[algo] ??= key;
  }
  const serverHostKey = lists.serverHostKey.filter((a) => a in byAlgo);
  const side = { cipher: lists.cipher, mac: lists.mac, compress: lists.compress, lang: [] };
  const offer = new KexInit({ kex: lists.kex, serverHostKey, cs: side, sc: side });
  const IncomingClient = (ssh2.Server as unknown as { IncomingClient?: IncomingClientCtor }).IncomingClient;
  // As ssh2's Server does: a Buffer ident, the protocol adds `SSH-2.0-`.
  const identBuf = Buffer.from(ident);
  return {
    dropped: lists.dropped,
    inject: (server, socket) => {
      // A newer ssh2 without the export: its own (less faithful) lists rather than no SSH at all.
      if (!IncomingClient) return server.injectSocket(socket);
      new IncomingClient(socket, byAlgo, identBuf, offer, undefined, server, srvCfg);
    },
  };
}

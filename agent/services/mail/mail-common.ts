import { randomBytes } from 'node:crypto';
import type tls from 'node:tls';
import { distros } from '../../../shared/catalog/distros';
import { personaString } from '../kit/persona';
import { deckySecureContext } from '../kit/tls-cert';
import type { ServiceContext } from '../kit/types';

/** The decky's TLS context for mail services: its host name as CN, shared with every TLS port. */
export function mailSecureContext(ctx: ServiceContext): Promise<tls.SecureContext> {
  return deckySecureContext(ctx);
}

/**
 * Dovecot's imap-login and pop3-login serve one connection per process (service_count = 1, the
 * 2.3 default): each process has its own ticket key, so the ticket it issues (TLS 1.2 extension or
 * TLS 1.3 NewSessionTicket, 7200 s hint) is never honoured on the next connection, which gets a
 * full handshake (measured with s_client -sess_out/-sess_in). Ours shares one context, whose key
 * would resume every returning client: the key is replaced as each handshake begins, so whatever
 * ticket a client brings was sealed under a key that is gone (TLS 1.3 tickets are sealed after the
 * server's 'secure' event, so replacing it there was too early).
 */
export function dovecotRetireTicketKey(context: tls.SecureContext): () => void {
  // SecureContext.context is the native handle tls.Server.setTicketKeys() itself uses.
  const native = context.context as { setTicketKeys: (keys: Buffer) => void };
  return () => native.setTicketKeys(randomBytes(48));
}

/** Dovecot's greeting text: the persona banner, else what the distro's dovecot package prints. */
export function dovecotGreeting(ctx: Pick<ServiceContext, 'persona' | 'decky'>): string {
  const banner = personaString(ctx.persona, 'banner', '').split(/\r?\n/)[0]?.slice(0, 256) ?? '';
  return banner || `${distros[ctx.decky.distro].dovecotName} ready.`;
}

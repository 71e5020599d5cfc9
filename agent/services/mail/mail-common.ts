import type tls from 'node:tls';
import { distros } from '../../../shared/catalog/distros';
import { personaString } from '../kit/persona';
import { deckySecureContext } from '../kit/tls-cert';
import type { ServiceContext } from '../kit/types';

/** The decky's TLS context for mail services: its host name as CN, shared with every TLS port. */
export function mailSecureContext(ctx: ServiceContext): Promise<tls.SecureContext> {
  return deckySecureContext(ctx);
}

/** Dovecot's greeting text: the persona banner, else what the distro's dovecot package prints. */
export function dovecotGreeting(ctx: Pick<ServiceContext, 'persona' | 'decky'>): string {
  const banner = personaString(ctx.persona, 'banner', '').split(/\r?\n/)[0]?.slice(0, 256) ?? '';
  return banner || `${distros[ctx.decky.distro].dovecotName} ready.`;
}

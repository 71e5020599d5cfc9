import tls from 'node:tls';
import { distros } from '../../../shared/catalog/distros';
import { deckyHostname, personaString } from '../kit/persona';
import { personaCert } from '../kit/tls-cert';
import type { ServiceContext } from '../kit/types';

/** The decky's TLS context for mail services: its host name as CN, shared with every TLS port. */
export async function mailSecureContext(ctx: ServiceContext): Promise<tls.SecureContext> {
  const pair = await personaCert(ctx.dataDir, { cn: deckyHostname(ctx.decky) });
  return tls.createSecureContext({ key: pair.key, cert: pair.cert });
}

/** Dovecot's greeting text: the persona banner, else what the distro's dovecot package prints. */
export function dovecotGreeting(ctx: Pick<ServiceContext, 'persona' | 'decky'>): string {
  const banner = personaString(ctx.persona, 'banner', '').split(/\r?\n/)[0]?.slice(0, 256) ?? '';
  return banner || `${distros[ctx.decky.distro].dovecotName} ready.`;
}

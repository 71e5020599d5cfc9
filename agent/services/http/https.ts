import { serveHttp } from './http';
import { deckyHostname, personaString } from '../kit/persona';
import { apacheTlsOptions, personaCert } from '../kit/tls-cert';
import { modSslSessionCache } from '../kit/tls-session-cache';
import type { RunningService, ServiceContext, ServiceModule } from '../kit/types';

/**
 * HTTPS on 443: the HTTP persona (pages, error pages, capture) behind real TLS with the decky's
 * self-signed certificate, created once in its data dir so returning visitors see the same one.
 * Sessions resume by ID from a mod_ssl-sized cache, as the real apache2 does (tickets stay off).
 */
async function start(ctx: ServiceContext): Promise<RunningService> {
  const cn = personaString(ctx.persona, 'certCn', '') || deckyHostname(ctx.decky);
  const pair = await personaCert(ctx.dataDir, { cn });
  return serveHttp(ctx, { catalogPort: 443, tls: { ...pair, ...apacheTlsOptions }, sessionCache: modSslSessionCache });
}

export const httpsService: ServiceModule = { name: 'https', start };

import tls from 'node:tls';
import { distros } from '../../../shared/catalog/distros';
import { deckyHostname, personaString } from '../kit/persona';
import { listenTcp, type ConnectionMeta, type TcpListener } from '../kit/tcp-listener';
import { personaCert } from '../kit/tls-cert';
import type net from 'node:net';
import type { RunningService, ServiceContext } from '../kit/types';

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

export type PortHandler = Readonly<{ catalogPort: number; onConnection: (socket: net.Socket, meta: ConnectionMeta) => void }>;

/** Listens on several ports; a failure on any releases the ones already bound. */
export async function listenAll(ctx: ServiceContext, handlers: readonly PortHandler[]): Promise<RunningService> {
  const listeners: TcpListener[] = [];
  try {
    for (const h of handlers) {
      listeners.push(await listenTcp({ host: ctx.host, port: ctx.port(h.catalogPort), capture: ctx.capture, log: ctx.log, onConnection: h.onConnection }));
    }
  } catch (err) {
    await Promise.all(listeners.map((l) => l.close()));
    throw err;
  }
  return { bound: listeners.map((l) => l.bound), close: async () => void (await Promise.all(listeners.map((l) => l.close()))) };
}

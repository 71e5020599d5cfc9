import tls from 'node:tls';
import { distros } from '../../../shared/catalog/distros';
import { deckyHostname, personaString } from '../kit/persona';
import { newSmtpState, smtpLimits, smtpLine, type SmtpConfig } from './smtp-session';
import { serveLineSession } from '../kit/line-session';
import type net from 'node:net';
import { listenAll } from '../kit/listen-all';
import type { ConnectionMeta } from '../kit/tcp-listener';
import { personaCert } from '../kit/tls-cert';
import type { RunningService, ServiceContext, ServiceModule } from '../kit/types';

/** `mail.corp ESMTP Postfix` or `220 mail.corp ESMTP Postfix` → a valid 220 greeting line. */
export function normaliseSmtpBanner(banner: string): string {
  const firstLine = (banner.split(/\r?\n/)[0] ?? '').slice(0, 512);
  return /^220[ -]/.test(firstLine) ? firstLine : `220 ${firstLine}`;
}

/** Persona → greeting and host name; the defaults follow the decky's distro packaging of Postfix. */
export function smtpPersona(ctx: Pick<ServiceContext, 'persona' | 'decky'>): { hostname: string; greeting: string } {
  const hostname =
    personaString(ctx.persona, 'hostname', deckyHostname(ctx.decky)).slice(0, 255) || deckyHostname(ctx.decky);
  const fallback = `${hostname} ${distros[ctx.decky.distro].smtpGreeting}`;
  return { hostname, greeting: normaliseSmtpBanner(personaString(ctx.persona, 'banner', '') || fallback) };
}

/** SMTP on 25 and 587; `relay` turns the decky into an open relay (every recipient accepted). */
export function createSmtpModule(name: 'smtp' | 'smtp_relay', relay: boolean): ServiceModule {
  const start = async (ctx: ServiceContext): Promise<RunningService> => {
    const { hostname, greeting } = smtpPersona(ctx);
    const pair = await personaCert(ctx.dataDir, { cn: hostname });
    const secureContext = tls.createSecureContext({ key: pair.key, cert: pair.cert });
    const cfg: SmtpConfig = { hostname, relay, startTls: true };

    const handler = (catalogPort: number) => ({
      catalogPort,
      onConnection: (socket: net.Socket, meta: ConnectionMeta) => {
        let st = newSmtpState();
        let commands = 0;
        serveLineSession(socket, {
          ctx,
          meta,
          greeting,
          maxLineBytes: smtpLimits.maxLineBytes,
          idleMs: smtpLimits.idleMs,
          idleReply: `421 4.4.2 ${hostname} Error: timeout exceeded`,
          overflowReply: `421 4.4.2 ${hostname} Error: line too long`,
          secureContext,
          implicitTls: false,
          onLine: (line, conn) => {
            if (!st.inData && (commands += 1) > smtpLimits.maxCommands) {
              ctx.capture({
                src: meta.src,
                kind: 'malformed',
                data: { session: meta.session, reason: `more than ${smtpLimits.maxCommands} commands` },
              });
              return conn.hangUp(`421 4.7.0 ${hostname} Error: too many errors`);
            }
            const step = smtpLine(line, st, cfg);
            for (const ev of step.events)
              ctx.capture({
                src: meta.src,
                kind: ev.kind,
                data: { session: meta.session, port: catalogPort, ...ev.data },
              });
            if (step.delayMs) conn.delay(step.delayMs);
            const last = step.replies.length - 1;
            step.replies.forEach((r, i) => (i === last && step.close ? conn.hangUp(r) : conn.send(r)));
            if (step.startTls) {
              // RFC 3207: the session starts over (no HELO, no transaction) once TLS is up.
              st = newSmtpState(true);
              conn.startTls();
            }
          },
        });
      },
    });
    return listenAll(ctx, [handler(25), handler(587)]);
  };
  return { name, start };
}

export const smtpService: ServiceModule = createSmtpModule('smtp', false);

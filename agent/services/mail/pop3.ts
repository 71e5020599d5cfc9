import type net from 'node:net';
import { listenAll } from '../kit/listen-all';
import { dovecotGreeting, dovecotRetireTicketKey, mailSecureContext } from './mail-common';
import { newPop3State, pop3Limits, pop3Line, type Pop3Config } from './pop3-session';
import { serveLineSession } from '../kit/line-session';
import type { ConnectionMeta } from '../kit/tcp-listener';
import type { RunningService, ServiceContext, ServiceModule } from '../kit/types';

/** POP3 on 110 (STLS) and 995 (implicit TLS), answering like Dovecot's pop3-login. */
async function start(ctx: ServiceContext): Promise<RunningService> {
  const cfg: Pop3Config = { startTls: true };
  const greeting = `+OK ${dovecotGreeting(ctx)}`;
  const secureContext = await mailSecureContext(ctx);
  const beforeTls = dovecotRetireTicketKey(secureContext);
  const handler = (catalogPort: number, implicitTls: boolean) => ({
    catalogPort,
    onConnection: (socket: net.Socket, meta: ConnectionMeta) => {
      let st = newPop3State(implicitTls);
      let commands = 0;
      serveLineSession(socket, {
        ctx,
        meta,
        greeting,
        maxLineBytes: pop3Limits.maxLineBytes,
        idleMs: pop3Limits.idleMs,
        idleReply: '-ERR Disconnected for inactivity.',
        overflowReply: '-ERR Input buffer full, aborting',
        secureContext,
        implicitTls,
        beforeTls,
        onLine: (line, conn) => {
          if ((commands += 1) > pop3Limits.maxCommands) {
            ctx.capture({
              src: meta.src,
              kind: 'malformed',
              data: { session: meta.session, reason: `more than ${pop3Limits.maxCommands} commands` },
            });
            return conn.hangUp('-ERR Too many invalid bad commands.');
          }
          const step = pop3Line(line, st, cfg);
          for (const ev of step.events)
            ctx.capture({
              src: meta.src,
              kind: ev.kind,
              data: { session: meta.session, port: catalogPort, ...ev.data },
            });
          const replies = [...step.replies];
          const closeAfter = step.close ? replies.pop() : undefined;
          for (const r of replies) conn.send(r);
          if (step.delayed.length) {
            conn.delay(pop3Limits.authFailureDelayMs);
            for (const r of step.delayed) conn.send(r);
          }
          if (step.close) return conn.hangUp(closeAfter);
          if (step.startTls) {
            st = newPop3State(true);
            conn.startTls();
          }
        },
      });
    },
  });
  return listenAll(ctx, [handler(110, false), handler(995, true)]);
}

export const pop3Service: ServiceModule = { name: 'pop3', start };

import { listenAll } from '../kit/listen-all';
import { dovecotGreeting, dovecotRetireTicketKey, mailSecureContext } from './mail-common';
import {
  imapGreeting,
  imapLimits,
  imapLine,
  imapRejectPartial,
  imapTagRejected,
  newImapState,
  type ImapConfig,
  type ImapStep,
} from './imap-session';
import type net from 'node:net';
import { serveLineSession, type LineConn } from '../kit/line-session';
import type { ConnectionMeta } from '../kit/tcp-listener';
import type { RunningService, ServiceContext, ServiceModule } from '../kit/types';

/** IMAP on 143 (STARTTLS) and 993 (implicit TLS), answering like Dovecot's imap-login. */
async function start(ctx: ServiceContext): Promise<RunningService> {
  const cfg: ImapConfig = { greetingText: dovecotGreeting(ctx), startTls: true };
  const secureContext = await mailSecureContext(ctx);
  const beforeTls = dovecotRetireTicketKey(secureContext);
  const handler = (catalogPort: number, implicitTls: boolean) => ({
    catalogPort,
    onConnection: (socket: net.Socket, meta: ConnectionMeta) => {
      let st = newImapState(implicitTls);
      let commands = 0;
      let skipLine = false;
      serveLineSession(socket, {
        ctx,
        meta,
        greeting: imapGreeting(cfg, st),
        maxLineBytes: imapLimits.maxLineBytes,
        idleMs: imapLimits.idleMs,
        idleReply: '* BYE Disconnected for inactivity.',
        overflowReply: '* BYE Input buffer full, aborting',
        secureContext,
        implicitTls,
        beforeTls,
        onPartial: (pending, conn) => {
          if (skipLine || !imapTagRejected(pending, st)) return;
          skipLine = true;
          answer(imapRejectPartial(st), conn);
        },
        onLine: (line, conn) => {
          if (skipLine) {
            // The rest of a line already answered with `* BAD`.
            skipLine = false;
            return;
          }
          if ((commands += 1) > imapLimits.maxCommands) {
            ctx.capture({
              src: meta.src,
              kind: 'malformed',
              data: { session: meta.session, reason: `more than ${imapLimits.maxCommands} commands` },
            });
            return conn.hangUp('* BYE Too many invalid IMAP commands.');
          }
          answer(imapLine(line, st, cfg), conn);
        },
      });
      function answer(step: ImapStep, conn: LineConn): void {
        for (const ev of step.events)
          ctx.capture({ src: meta.src, kind: ev.kind, data: { session: meta.session, port: catalogPort, ...ev.data } });
        const replies = [...step.replies];
        const closeAfter = step.close ? replies.pop() : undefined;
        for (const r of replies) conn.send(r);
        if (step.delayed.length) {
          conn.delay(imapLimits.authFailureDelayMs);
          for (const r of step.delayed) conn.send(r);
        }
        if (step.close) return conn.hangUp(closeAfter);
        if (step.startTls) {
          st = newImapState(true);
          conn.startTls();
        }
      }
    },
  });
  return listenAll(ctx, [handler(143, false), handler(993, true)]);
}

export const imapService: ServiceModule = { name: 'imap', start };

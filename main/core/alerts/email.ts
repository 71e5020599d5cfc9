import { createTransport } from 'nodemailer';
import type { EmailChannel, Incident } from '../../../shared/domain/alerts';
import { summaryOf } from './webhook';

/** One email as queued: what nodemailer sends (the queue stores it as JSON). */
export type MailMessage = Readonly<{ subject: string; text: string }>;

/** Sends one message or throws with the server's reason; injected so the engine's logic is testable. */
export type MailSend = (channel: EmailChannel, message: MailMessage, deliveryId: string) => Promise<void>;

export const EMAIL_TIMEOUT_MS = 10_000;

export function emailMessage(kind: 'incident.opened' | 'test', i: Incident): MailMessage {
  const where = i.deckies.length ? ` on ${i.deckies.join(', ')}` : '';
  const lines = [
    summaryOf(i),
    '',
    `Source:   ${i.source}`,
    `Deckies:  ${i.deckies.join(', ') || '-'}`,
    `Services: ${i.services.join(', ') || '-'}`,
    `First:    ${i.firstAt}`,
    `Rule:     ${i.rule}`,
    `Incident: ${i.id}`,
  ];
  return {
    subject:
      `${kind === 'test' ? '[DECNET test] ' : '[DECNET] '}${i.title}${where && !i.title.includes(where) ? where : ''}`.slice(
        0,
        200,
      ),
    text: lines.join('\n'),
  };
}

/**
 * SMTP through nodemailer, one connection per message (alerts are rare; a pooled connection would
 * only hide a dead relay). STARTTLS is required unless the channel says `none`; certificates are
 * always verified, against the channel's CA when it names one. Bounded in time at every step.
 */
export const nodemailerSend: MailSend = async (ch, message, deliveryId) => {
  const transport = createTransport({
    host: ch.host,
    port: ch.port,
    secure: ch.security === 'tls',
    requireTLS: ch.security === 'starttls',
    ignoreTLS: ch.security === 'none',
    ...(ch.user ? { auth: { user: ch.user, pass: ch.password ?? '' } } : {}),
    tls: { minVersion: 'TLSv1.2', rejectUnauthorized: true, ...(ch.caPem ? { ca: ch.caPem } : {}) },
    connectionTimeout: EMAIL_TIMEOUT_MS,
    greetingTimeout: EMAIL_TIMEOUT_MS,
    socketTimeout: EMAIL_TIMEOUT_MS,
  });
  try {
    await transport.sendMail({
      from: ch.from,
      to: ch.to,
      subject: message.subject,
      text: message.text,
      headers: { 'X-DECNET-Delivery': deliveryId },
    });
  } finally {
    transport.close();
  }
};

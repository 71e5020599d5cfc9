import { createHmac } from 'node:crypto';
import { request } from 'undici';
import { WEBHOOK_SIGNATURE_HEADER, type Incident, type WebhookChannel } from '../../../shared/domain/alerts';

/** What a webhook POST needs; injected so the engine's logic is testable without a server. */
export type WebhookPost = (url: string, body: string, headers: Record<string, string>) => Promise<number>;

export const WEBHOOK_TIMEOUT_MS = 10_000;

/** `sha256=<hex>` over the exact bytes sent: what the receiver recomputes with the shared secret. */
export const signBody = (secret: string, body: string): string =>
  `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;

/** A real POST with undici, bounded in time; the status code decides success (2xx). */
export const undiciPost: WebhookPost = async (url, body, headers) => {
  const res = await request(url, {
    method: 'POST',
    body,
    headers,
    headersTimeout: WEBHOOK_TIMEOUT_MS,
    bodyTimeout: WEBHOOK_TIMEOUT_MS,
  });
  // Drain (bounded by the receiver closing or the timeout) so the connection can be reused.
  await res.body.dump({ limit: 64 * 1024 });
  return res.statusCode;
};

export function summaryOf(i: Incident): string {
  const minutes = Math.max(1, Math.round((Date.parse(i.lastAt) - Date.parse(i.firstAt)) / 60_000));
  return i.count > 1 ? `${i.title} — and ${i.count - 1} more in ${minutes} min` : i.title;
}

/** The body a channel receives for a newly opened incident (or a test). */
export function webhookBody(channel: WebhookChannel, kind: 'incident.opened' | 'test', incident: Incident): string {
  if (channel.format === 'slack') {
    const where = incident.deckies.length ? ` on ${incident.deckies.join(', ')}` : '';
    return JSON.stringify({
      text: `DECNET${kind === 'test' ? ' (test)' : ''}: ${incident.title} — source ${incident.source}${where}`,
    });
  }
  return JSON.stringify({ type: kind, incident, summary: summaryOf(incident) });
}

export function webhookHeaders(channel: WebhookChannel, body: string, deliveryId: string): Record<string, string> {
  return {
    'content-type': 'application/json',
    'user-agent': 'decnet-master',
    'x-decnet-delivery': deliveryId,
    [WEBHOOK_SIGNATURE_HEADER]: signBody(channel.secret, body),
  };
}

/** Retry delay after `attempts` failures: 1 s doubling, at most 5 min. */
export const backoffMs = (attempts: number): number => Math.min(300_000, 1000 * 2 ** Math.max(0, attempts - 1));

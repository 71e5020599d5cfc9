import { z } from 'zod';

const Iso = z.iso.datetime({ offset: true });

/** What an alert rule reacts to. `first-contact` is the default-on rule: a source new to every decky. */
export const alertRuleIds = ['first-contact', 'credentials', 'command', 'host-offline', 'cert-mismatch'] as const;
export const AlertRuleId = z.enum(alertRuleIds);
export type AlertRuleId = z.output<typeof AlertRuleId>;

export const AlertRule = z.strictObject({
  id: AlertRuleId,
  enabled: z.boolean(),
  /** Repeats of the same (source, rule) within this many minutes fold into the open incident. */
  windowMinutes: z.number().int().min(1).max(1440),
});
export type AlertRule = z.output<typeof AlertRule>;

export const defaultAlertRules: readonly AlertRule[] = [
  { id: 'first-contact', enabled: true, windowMinutes: 60 },
  { id: 'credentials', enabled: false, windowMinutes: 60 },
  { id: 'command', enabled: false, windowMinutes: 60 },
  { id: 'host-offline', enabled: true, windowMinutes: 60 },
  { id: 'cert-mismatch', enabled: true, windowMinutes: 60 },
];

export const incidentStates = ['open', 'acknowledged', 'closed'] as const;

export const Incident = z.strictObject({
  id: z.uuid(),
  rule: AlertRuleId,
  /** The attacker's address, or for host rules the worker's uuid. */
  source: z.string().max(64),
  title: z.string().max(300),
  deckies: z.array(z.string().max(63)).max(256),
  services: z.array(z.string().max(32)).max(64),
  firstAt: Iso,
  lastAt: Iso,
  /** Matching events folded into this incident, the first included. */
  count: z.number().int().min(1),
  state: z.enum(incidentStates),
});
export type Incident = z.output<typeof Incident>;

/** A JSON POST signed with HMAC-SHA256 over the body; `slack` posts `{text}` for Slack/Teams hooks. */
export const WebhookChannel = z.strictObject({
  id: z.string().min(1).max(64),
  url: z.url({ protocol: /^https?$/ }).max(2048),
  secret: z.string().min(16).max(256),
  format: z.enum(['json', 'slack']),
  enabled: z.boolean(),
});
export type WebhookChannel = z.output<typeof WebhookChannel>;

const Mailbox = z.email().max(254);

/**
 * Email over SMTP. `starttls` (the default, port 587) refuses a server that does not offer
 * STARTTLS; `tls` is implicit TLS (465); `none` is for a local relay only. The server certificate
 * is checked against `caPem` when given (a private collector), else the system store.
 */
export const EmailChannel = z.strictObject({
  kind: z.literal('email'),
  id: z.string().min(1).max(64),
  host: z
    .string()
    .min(1)
    .max(253)
    .regex(/^[A-Za-z0-9.:-]+$/, 'SMTP host must be an IP address or a DNS name'),
  port: z.number().int().min(1).max(65535),
  security: z.enum(['starttls', 'tls', 'none']),
  user: z.string().max(256).optional(),
  password: z.string().max(256).optional(),
  from: Mailbox,
  to: z.array(Mailbox).min(1).max(16),
  caPem: z.string().max(16_384).optional(),
  enabled: z.boolean(),
});
export type EmailChannel = z.output<typeof EmailChannel>;

/** A channel an incident is delivered to: a webhook (no `kind`, as stored before email existed) or email. */
export const AlertChannel = z.union([WebhookChannel, EmailChannel]);
export type AlertChannel = z.output<typeof AlertChannel>;
export const isEmailChannel = (c: AlertChannel): c is EmailChannel => 'kind' in c && c.kind === 'email';

export const ChannelStatus = z.strictObject({
  delivered: z.number().int(),
  pending: z.number().int(),
  lastDeliveryAt: Iso.nullable(),
  lastError: z.string().max(500).nullable(),
});
export type ChannelStatus = z.output<typeof ChannelStatus>;

/** Header carrying `sha256=<hex hmac of the raw body>`, as GitHub-style receivers expect. */
export const WEBHOOK_SIGNATURE_HEADER = 'x-decnet-signature';

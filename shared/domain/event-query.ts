import { z } from 'zod';
import { AttackerEvent } from './events';
import { HostUuid, ServiceNameSchema } from './decky';

const Iso = z.iso.datetime({
  offset: true,
  error: 'must be an ISO 8601 time with an offset, like 2026-12-04T10:00:00Z',
});
const IPV4 = /^(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;

/** An exact source address (any text the decky recorded, IPv6 included) or an IPv4 CIDR block. */
export const SourceMatch = z
  .string()
  .min(1)
  .max(64)
  .refine((s) => !s.includes('/') || isIpv4Cidr(s), {
    error: 'src must be an address or an IPv4 CIDR like 10.0.0.0/8',
  });

/** True for `a.b.c.d/n` with 0 ≤ n ≤ 32. */
export function isIpv4Cidr(s: string): boolean {
  const [ip, bits, extra] = s.split('/');
  return extra === undefined && IPV4.test(ip ?? '') && /^(?:[0-9]|[12]\d|3[0-2])$/.test(bits ?? '');
}

/** IPv4 dotted quad as an unsigned integer, or null when `s` is not one. */
export function ipv4ToInt(s: string): number | null {
  if (!IPV4.test(s)) return null;
  return s.split('.').reduce((n, o) => n * 256 + Number(o), 0);
}

/**
 * What an analyst filters the whole event history by; every field narrows (AND). `text` is a
 * substring search over the event's data (each whitespace-separated term must occur).
 */
export const EventFilter = z.strictObject({
  since: Iso.optional(),
  until: Iso.optional(),
  src: SourceMatch.optional(),
  decky: z.string().min(1).max(63).optional(),
  host: HostUuid.optional(),
  service: ServiceNameSchema.optional(),
  kind: z.string().min(1).max(64).optional(),
  text: z
    .string()
    .max(256)
    .refine(
      (t) =>
        t
          .trim()
          .split(/\s+/)
          .every((w) => w === '' || [...w].length >= 3),
      {
        error: 'text: each search term needs at least 3 characters',
      },
    )
    .optional(),
});
export type EventFilter = z.output<typeof EventFilter>;

/** A keyset cursor: opaque to clients, issued by the master with the previous page. */
export const EventCursor = z.string().min(1).max(200);

export const EventListInput = EventFilter.extend({
  limit: z.number().int().min(1).max(5000).optional(),
  cursor: EventCursor.optional(),
});

export const EventPage = z.strictObject({
  events: z.array(AttackerEvent),
  /** Events matching the filter in the whole history (not only this page). */
  total: z.number().int(),
  /** Pass back as `cursor` for the next (older) page; null on the last page. */
  nextCursor: EventCursor.nullable(),
});

export const HistogramInput = EventFilter.extend({ buckets: z.number().int().min(1).max(500).optional() });
export const Histogram = z.strictObject({
  /** Bucket width in ms; buckets start at `from` and are contiguous. */
  width: z.number().int(),
  from: z.number().int(),
  buckets: z.array(z.strictObject({ start: z.number().int(), counts: z.record(z.string(), z.number().int()) })),
});

export const SourceSummary = z.strictObject({
  src: z.string(),
  firstSeen: Iso,
  lastSeen: Iso,
  events: z.number().int(),
  deckies: z.array(z.string()),
  services: z.array(z.string()),
  /** Distinct username/password pairs tried. */
  credentials: z.number().int(),
  /** Commands typed or executed. */
  commands: z.number().int(),
});
export type SourceSummary = z.output<typeof SourceSummary>;

export const SourceListInput = EventFilter.extend({
  limit: z.number().int().min(1).max(1000).optional(),
  cursor: EventCursor.optional(),
});
export const SourcePage = z.strictObject({ sources: z.array(SourceSummary), nextCursor: EventCursor.nullable() });

export const Credential = z.strictObject({
  ts: Iso,
  username: z.string().nullable(),
  password: z.string().nullable(),
  success: z.boolean().nullable(),
});
export const SessionView = z.strictObject({
  /** The connection/session id the decky gave (empty when the service records none). */
  session: z.string(),
  decky: z.string(),
  service: z.string(),
  start: Iso,
  end: Iso,
  events: z.array(AttackerEvent),
  credentials: z.array(Credential),
  commands: z.array(z.strictObject({ ts: Iso, command: z.string() })),
});
export type SessionView = z.output<typeof SessionView>;

export const TimelineInput = z.strictObject({
  src: z.string().min(1).max(64),
  decky: z.string().min(1).max(63).optional(),
  since: Iso.optional(),
  until: Iso.optional(),
  limit: z.number().int().min(1).max(20_000).optional(),
});
export const Timeline = z.strictObject({
  src: z.string(),
  sessions: z.array(SessionView),
  /** True when more events matched than `limit`: the oldest are shown. */
  truncated: z.boolean(),
});

/** One page of an export (the console pages through it; the HTTP API streams the same pages). */
export const ExportInput = EventFilter.extend({
  format: z.enum(['csv', 'ndjson'], { error: 'format must be csv or ndjson' }),
  cursor: EventCursor.optional(),
  /** The sequence ceiling the first page answered: events stored later stay out of the file. */
  maxSeq: z.number().int().min(0).optional(),
});
export const ExportPage = z.strictObject({
  text: z.string(),
  nextCursor: EventCursor.nullable(),
  maxSeq: z.number().int(),
});

/** The SIEM output's state (Settings): null when DECNET_LOG_TARGET is not set. */
export const SiemStatus = z
  .strictObject({
    target: z.string(),
    format: z.enum(['rfc5424', 'ecs', 'cef']),
    connected: z.boolean(),
    delivered: z.number().int(),
    backlog: z.number().int(),
    lastError: z.string().nullable(),
    lastDeliveredAt: z.string().nullable(),
  })
  .nullable();

/** Event store retention as Settings edits it: days kept and size in MiB, null = no limit. */
export const RetentionInput = z.strictObject({
  maxAgeDays: z.number().int().min(1, 'maxAgeDays must be at least 1 (or null: no limit)').max(36_500).nullable(),
  maxMb: z
    .number()
    .int()
    .min(16, 'maxMb must be at least 16 (or null: no limit)')
    .max(16 * 1024 * 1024)
    .nullable(),
});
export const RetentionView = RetentionInput.extend({
  /** Stored now, and the database's size in bytes. */
  events: z.number().int(),
  bytes: z.number().int(),
});

/** The SIEM output as Settings sets it; target null turns it off. */
export const SiemConfigInput = z.strictObject({
  target: z
    .string()
    .regex(/^(tcp|tls|udp):\/\/[^:/]+:\d{1,5}$/, { error: 'target must look like tls://host:port, tcp://… or udp://…' })
    .nullable(),
  format: z.enum(['rfc5424', 'ecs', 'cef'], { error: 'format must be rfc5424, ecs or cef' }),
  /** PEM of the collector's CA (tls:// only); null = the system store. */
  ca: z.string().max(65_536).nullable().optional(),
});

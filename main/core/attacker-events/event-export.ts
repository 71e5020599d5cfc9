import type { AttackerEvent } from '../../../shared/domain/events';
import type { EventFilter } from '../../../shared/domain/event-query';
import type { EventStore } from './event-store';

export const exportFormats = ['csv', 'ndjson'] as const;
export type ExportFormat = (typeof exportFormats)[number];

/** Rows per page of an export: small enough that a page never holds the event loop for long. */
export const EXPORT_PAGE = 2000;

const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
const num = (v: unknown) => (typeof v === 'number' && Number.isInteger(v) ? v : undefined);
const IP = /^(?:\d{1,3}\.){3}\d{1,3}$|^[0-9a-f:.]*:[0-9a-f:.]*$/i;

/** ECS event.category/type per interaction kind (services share the kind words, kit/types.ts). */
const ecsKind: Record<string, { category: string[]; type: string[] }> = {
  connect: { category: ['network'], type: ['connection', 'start'] },
  auth: { category: ['authentication'], type: ['start'] },
  command: { category: ['process'], type: ['start'] },
  request: { category: ['web', 'network'], type: ['access'] },
  malformed: { category: ['network'], type: ['denied'] },
  refused: { category: ['network'], type: ['denied'] },
};

/**
 * One event as an Elastic Common Schema document: `@timestamp`, `event.*` (kind `event`, the
 * interaction as `event.action`), `source.ip`/`source.port`, `destination.ip`/`destination.port`
 * (the decky), `user.name`, `process.command_line`, `service.name`, `observer.*`; what ECS has no
 * field for stays under `decnet.*` (the raw data included, so nothing is lost).
 */
export function toEcs(e: AttackerEvent, deckyIp: (decky: string) => string | undefined): Record<string, unknown> {
  const d = e.data;
  const user = str(d.username) ?? str(d.user);
  const command = e.kind === 'command' ? str(d.command) : undefined;
  const success = typeof d.success === 'boolean' ? d.success : undefined;
  const dst = deckyIp(e.decky);
  const kind = ecsKind[e.kind] ?? { category: ['intrusion_detection'], type: ['info'] };
  return {
    '@timestamp': e.ts,
    event: {
      id: e.id,
      kind: 'event',
      category: kind.category,
      type: kind.type,
      action: e.kind,
      module: 'decnet',
      dataset: `decnet.${e.service}`,
      ...(success === undefined ? {} : { outcome: success ? 'success' : 'failure' }),
    },
    ...(IP.test(e.src) ? { source: { ip: e.src, ...opt('port', num(d.srcPort)) } } : {}),
    destination: { ...opt('ip', dst), ...opt('port', num(d.port)) },
    service: { name: e.service },
    observer: { name: e.decky, type: 'honeypot', vendor: 'DECNET', product: 'decnet' },
    ...(user === undefined ? {} : { user: { name: user } }),
    ...(command === undefined ? {} : { process: { command_line: command } }),
    ...(e.kind === 'request' && str(d.path) ? { url: { original: str(d.path) } } : {}),
    decnet: { decky: e.decky, host: e.host ?? null, src: e.src, session: str(d.session) ?? null, data: d },
  };
}

export const CSV_COLUMNS = [
  'timestamp',
  'id',
  'host',
  'decky',
  'destination_ip',
  'service',
  'source_ip',
  'kind',
  'session',
  'username',
  'password',
  'command',
  'data',
] as const;

/**
 * RFC 4180 field. Attacker-chosen text that a spreadsheet would run as a formula (=, +, -, @, tab,
 * CR first) gets a leading apostrophe (OWASP's CSV injection advice); `data` keeps the raw JSON.
 */
export function csvField(v: string, guard = true): string {
  const safe = guard && /^[=+\-@\t\r]/.test(v) ? `'${v}` : v;
  return /[",\r\n]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}

export function toCsvRow(e: AttackerEvent, deckyIp: (decky: string) => string | undefined): string {
  const d = e.data;
  const cells = [
    e.ts,
    e.id,
    e.host ?? '',
    e.decky,
    deckyIp(e.decky) ?? '',
    e.service,
    e.src,
    e.kind,
    str(d.session) ?? '',
    str(d.username) ?? str(d.user) ?? '',
    str(d.password) ?? '',
    (e.kind === 'command' ? str(d.command) : undefined) ?? '',
  ].map((c) => csvField(c));
  // The data column starts with `{`, never a formula, and must parse back as JSON untouched.
  return [...cells, csvField(JSON.stringify(d), false)].join(',') + '\r\n';
}

/**
 * One page of an export in sort order (newest first). The first call pins `maxSeq`, so events
 * stored while the export runs stay out and the file is exactly the query at its start.
 */
export function exportPage(
  store: EventStore,
  q: EventFilter & { format: ExportFormat; cursor?: string | undefined; maxSeq?: number | undefined },
  deckyIp: (decky: string) => string | undefined,
): { text: string; nextCursor: string | null; maxSeq: number } {
  const { format, cursor, maxSeq: pinned, ...filter } = q;
  const maxSeq = pinned ?? store.maxSeq();
  const page = store.page({ ...filter, limit: EXPORT_PAGE, ...(cursor ? { cursor } : {}) }, maxSeq);
  const header = format === 'csv' && !cursor ? CSV_COLUMNS.join(',') + '\r\n' : '';
  const rows = page.events.map((e) =>
    format === 'csv' ? toCsvRow(e, deckyIp) : JSON.stringify(toEcs(e, deckyIp)) + '\n',
  );
  return { text: header + rows.join(''), nextCursor: page.nextCursor, maxSeq };
}

function opt<K extends string, V>(k: K, v: V | undefined): Partial<Record<K, V>> {
  return v === undefined ? {} : ({ [k]: v } as Record<K, V>);
}

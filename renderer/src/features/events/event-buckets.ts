import { type ServiceName, serviceNames } from '../../../../shared/catalog/services';
import type { AttackerEvent } from '../../../../shared/domain/events';

const MIN = 60_000;
/** Bucket widths a human reads easily; the smallest that yields at most `maxBuckets` is used. */
const widths = [MIN, 5 * MIN, 15 * MIN, 30 * MIN, 60 * MIN, 3 * 60 * MIN, 6 * 60 * MIN, 12 * 60 * MIN, 24 * 60 * MIN] as const;

export type Bucket = { start: number; counts: Record<string, number>; total: number };
export type Buckets = { width: number; buckets: Bucket[]; services: string[]; max: number };

/** Groups events into equal time buckets ending at `now`, counted per service. */
export function bucketEvents(events: readonly Pick<AttackerEvent, 'ts' | 'service'>[], now: number, maxBuckets = 36): Buckets {
  const times = events.map((e) => Date.parse(e.ts)).filter((t) => !Number.isNaN(t));
  const earliest = times.length ? Math.min(...times) : now - 60 * MIN;
  const span = Math.max(now - earliest, MIN);
  const width = widths.find((w) => span / w <= maxBuckets) ?? widths[widths.length - 1]!;
  const end = Math.ceil(now / width) * width;
  const count = Math.min(maxBuckets, Math.max(12, Math.ceil((end - earliest) / width)));
  const start = end - count * width;
  const buckets: Bucket[] = Array.from({ length: count }, (_, i) => ({ start: start + i * width, counts: {}, total: 0 }));
  const perService = new Map<string, number>();
  events.forEach((e, i) => {
    const t = times[i];
    if (t === undefined || t < start) return;
    const b = buckets[Math.min(count - 1, Math.floor((t - start) / width))];
    if (!b) return;
    b.counts[e.service] = (b.counts[e.service] ?? 0) + 1;
    b.total += 1;
    perService.set(e.service, (perService.get(e.service) ?? 0) + 1);
  });
  // Busiest service at the bottom of each stack, where bars are easiest to compare.
  const services = [...perService.entries()].sort((a, b) => b[1] - a[1]).map(([s]) => s);
  return { width, buckets, services, max: Math.max(0, ...buckets.map((b) => b.total)) };
}

/** Upper bound for the y axis: 1, 2 or 5 times a power of ten, at least `max`. */
export function niceCeil(max: number): number {
  if (max <= 4) return 4;
  const p = 10 ** Math.floor(Math.log10(max));
  return ([1, 2, 2.5, 5, 10].map((m) => m * p).find((v) => v >= max) ?? 10 * p);
}

const palette = ['#4f9cff', '#f2a93b', '#3ecf8e', '#e5534b', '#a371f7', '#39c5cf', '#f778ba', '#d4c35a', '#8b949e', '#ff8a50', '#7ee787', '#c297ff'] as const;

/** A colour per service that stays the same whatever the filter (keyed by catalogue order). */
export function serviceColor(service: string): string {
  const i = serviceNames.indexOf(service as ServiceName);
  return palette[(i < 0 ? 0 : i) % palette.length]!;
}

/** One line that tells the analyst what the attacker did: credentials, request line or command. */
export function summarize(data: Record<string, unknown>): string {
  const s = (k: string): string | null => (typeof data[k] === 'string' || typeof data[k] === 'number' ? String(data[k]) : null);
  const user = s('username') ?? s('user') ?? s('login');
  const pass = s('password') ?? s('pass');
  // A command typed in a session carries its user too: show the command, not "root : ?".
  if (s('command') && pass === null) return `${user !== null ? `${user} ` : ''}$ ${s('command')}`;
  if (user !== null || pass !== null) return `${user ?? '?'} : ${pass ?? '?'}`;
  if (s('method') && s('path')) return `${s('method')} ${s('path')}`;
  if (s('query')) return s('query')!;
  return Object.entries(data)
    .slice(0, 3)
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join('  ');
}

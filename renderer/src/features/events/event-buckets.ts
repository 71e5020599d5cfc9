import { type ServiceName, serviceNames } from '../../../../shared/catalog/services';
import type { AttackerEvent } from '../../../../shared/domain/events';

const MIN = 60_000;
/** Bucket widths a human reads easily; the smallest that yields at most `maxBuckets` is used. */
const widths = [
  MIN,
  5 * MIN,
  15 * MIN,
  30 * MIN,
  60 * MIN,
  3 * 60 * MIN,
  6 * 60 * MIN,
  12 * 60 * MIN,
  24 * 60 * MIN,
] as const;

export type Bucket = { start: number; counts: Record<string, number>; total: number };
export type Buckets = { width: number; buckets: Bucket[]; services: string[]; max: number };

/** Groups events into equal time buckets ending at `now`, counted per service. */
export function bucketEvents(
  events: readonly Pick<AttackerEvent, 'ts' | 'service'>[],
  now: number,
  maxBuckets = 36,
): Buckets {
  const times = events.map((e) => Date.parse(e.ts)).filter((t) => !Number.isNaN(t));
  const earliest = times.length ? Math.min(...times) : now - 60 * MIN;
  const span = Math.max(now - earliest, MIN);
  const width = widths.find((w) => span / w <= maxBuckets) ?? widths[widths.length - 1]!;
  const end = Math.ceil(now / width) * width;
  const count = Math.min(maxBuckets, Math.max(12, Math.ceil((end - earliest) / width)));
  const start = end - count * width;
  const buckets: Bucket[] = Array.from({ length: count }, (_, i) => ({
    start: start + i * width,
    counts: {},
    total: 0,
  }));
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

/** The master's histogram (events.histogram) in the chart's shape, busiest service first. */
export function fromHistogram(h: {
  width: number;
  buckets: readonly { start: number; counts: Record<string, number> }[];
}): Buckets {
  const perService = new Map<string, number>();
  const buckets = h.buckets.map((b) => {
    let total = 0;
    for (const [service, n] of Object.entries(b.counts)) {
      total += n;
      perService.set(service, (perService.get(service) ?? 0) + n);
    }
    return { start: b.start, counts: { ...b.counts }, total };
  });
  const services = [...perService.entries()].sort((a, b) => b[1] - a[1]).map(([s]) => s);
  return { width: h.width, buckets, services, max: Math.max(0, ...buckets.map((b) => b.total)) };
}

/** Axis maximum split into four whole, round steps (1, 2 or 5 × 10^n each): 10 → 0 5 10 15 20. */
export function niceCeil(max: number): number {
  const raw = Math.max(1, max) / 4;
  const p = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => Math.max(1, m * p)).find((v) => v >= raw) ?? 10 * p;
  return step * 4;
}

const palette = [
  '#4f9cff',
  '#f2a93b',
  '#3ecf8e',
  '#e5534b',
  '#a371f7',
  '#39c5cf',
  '#f778ba',
  '#d4c35a',
  '#8b949e',
  '#ff8a50',
  '#7ee787',
  '#c297ff',
] as const;

/** A colour per service that stays the same whatever the filter (keyed by catalogue order). */
export function serviceColor(service: string): string {
  const i = serviceNames.indexOf(service as ServiceName);
  return palette[(i < 0 ? 0 : i) % palette.length]!;
}

/** One line that tells the analyst what the attacker did: credentials, request line or command. */
export function summarize(kind: string, data: Record<string, unknown>): string {
  const s = (k: string): string | null =>
    typeof data[k] === 'string' || typeof data[k] === 'number' ? String(data[k]) : null;
  const user = s('username') ?? s('user') ?? s('login');
  const pass = s('password') ?? s('pass');
  // The kind decides the shape: a session command carries its user too, and is not a login.
  if (kind === 'auth') return `${user ?? '?'} : ${pass ?? (s('method') ? `(${s('method')})` : '?')}`;
  if (s('command')) return `${user !== null ? `${user} ` : ''}$ ${s('command')}`;
  if (s('method') && s('path')) return `${s('method')} ${s('path')}`;
  if (s('query')) return s('query')!;
  return Object.entries(data)
    .slice(0, 3)
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join('  ');
}

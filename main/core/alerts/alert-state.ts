import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { AlertChannel, AlertRule, ChannelStatus, defaultAlertRules, Incident } from '../../../shared/domain/alerts';
import { AppError } from '../../../shared/errors';
import { writeFileAtomic } from '../../../shared/node/atomic-file';

/** One queued webhook delivery: written to disk before the first attempt, removed after a 2xx. */
export const Delivery = z.strictObject({
  id: z.uuid(),
  channelId: z.string(),
  incidentId: z.string(),
  body: z.string().max(64 * 1024),
  attempts: z.number().int(),
  nextAt: z.number(),
});
export type Delivery = z.output<typeof Delivery>;

/** Bounds, so a flood of sources cannot grow the file without limit (oldest dropped first). */
export const ALERT_LIMITS = { incidents: 5_000, sources: 100_000, queue: 10_000 } as const;

export const AlertData = z.strictObject({
  rules: z.array(AlertRule),
  channels: z.array(AlertChannel),
  incidents: z.array(Incident),
  /** Every attacker source ever seen, with when: the memory of the first-contact rule. */
  sources: z.record(z.string(), z.string()),
  queue: z.array(Delivery),
  status: z.record(z.string(), ChannelStatus),
});
export type AlertData = z.output<typeof AlertData>;

const empty = (): AlertData => ({
  rules: defaultAlertRules.map((r) => ({ ...r })),
  channels: [],
  incidents: [],
  sources: {},
  queue: [],
  status: {},
});

/**
 * `<data>/alerts.json`, kept apart from master.json because incidents and the first-contact
 * memory grow with attacker traffic while master.json holds the fleet. Written atomically
 * (temp + fsync + rename); a damaged file is refused, never silently replaced by an empty one.
 */
export async function loadAlertData(path: string): Promise<AlertData> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return empty();
    throw err;
  }
  const parsed = AlertData.safeParse(JSON.parse(text));
  if (!parsed.success)
    throw new AppError(
      'INVALID_INPUT',
      `${path} is not a valid alert store (${parsed.error.issues[0]?.message ?? 'bad shape'}); move it aside to start with default rules`,
    );
  // Rules added by a newer version appear with their defaults.
  for (const r of defaultAlertRules)
    if (!parsed.data.rules.some((x) => x.id === r.id)) parsed.data.rules.push({ ...r });
  return parsed.data;
}

/** Coalesced saver: many changes in one tick cost one atomic write; `flush()` waits for it. */
export function createAlertSaver(path: string, data: () => AlertData, onError: (err: unknown) => void) {
  let pending: Promise<void> | null = null;
  let dirty = false;
  const write = async (): Promise<void> => {
    while (dirty) {
      dirty = false;
      await writeFileAtomic(path, JSON.stringify(data()), 0o600);
    }
  };
  return {
    save(): Promise<void> {
      dirty = true;
      pending ??= Promise.resolve()
        .then(write)
        .catch((err: unknown) => onError(err))
        .finally(() => (pending = null));
      return pending;
    },
    flush: (): Promise<void> => pending ?? Promise.resolve(),
  };
}

/** Trims the bounded collections in place, oldest first. */
export function trimAlertData(d: AlertData): void {
  if (d.incidents.length > ALERT_LIMITS.incidents) d.incidents.splice(0, d.incidents.length - ALERT_LIMITS.incidents);
  if (d.queue.length > ALERT_LIMITS.queue) d.queue.splice(0, d.queue.length - ALERT_LIMITS.queue);
  const keys = Object.keys(d.sources);
  if (keys.length > ALERT_LIMITS.sources)
    for (const k of keys.slice(0, keys.length - ALERT_LIMITS.sources)) delete d.sources[k];
}

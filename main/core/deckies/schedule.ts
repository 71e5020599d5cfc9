import { archetypes } from '../../../shared/catalog/archetypes';
import { findPortClash, type ServiceName } from '../../../shared/catalog/services';
import type { DeckyConfig } from '../../../shared/domain/decky';

/** The original gives up after more than 20 draws (§6 `pick_new_services`). */
export const MAX_DRAWS = 20;
export const MAX_SUBSET = 3;

/**
 * Services a decky may rotate through without breaking its persona. With an archetype: that
 * archetype's services. Without one: every service some archetype of the same OS fingerprint runs,
 * plus the decky's own, so a Windows decky never draws a Linux-only service (the original falls
 * back to all services, its §6).
 */
export function mutationPool(config: Pick<DeckyConfig, 'archetype' | 'nmapOs' | 'services'>): ServiceName[] {
  if (config.archetype) return [...archetypes[config.archetype].services];
  const pool = new Set<ServiceName>(config.services);
  for (const a of Object.values(archetypes)) if (a.nmapOs === config.nmapOs) for (const s of a.services) pool.add(s);
  return [...pool].sort();
}

const sameSet = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((s) => b.includes(s));

/**
 * A new random subset of the pool, 1 to 3 services, different from the current set and free of
 * port clashes; null when the pool is empty or 20 draws found nothing new.
 */
export function pickNewServices(
  config: Pick<DeckyConfig, 'archetype' | 'nmapOs' | 'services'>,
  random: () => number = Math.random,
): ServiceName[] | null {
  const pool = mutationPool(config);
  if (pool.length === 0) return null;
  for (let draw = 0; draw < MAX_DRAWS; draw++) {
    const size = 1 + Math.floor(random() * Math.min(MAX_SUBSET, pool.length));
    const left = [...pool];
    const pick: ServiceName[] = [];
    while (pick.length < size) pick.push(left.splice(Math.floor(random() * left.length), 1)[0]!);
    if (!sameSet(pick, config.services) && !findPortClash(pick)) return pick.sort();
  }
  return null;
}

export { intervalOf } from '../../../shared/domain/decky';

/**
 * When the decky is next due, in ms since the epoch. The base is the last mutation (or when the
 * scheduler first saw the decky). A due time in the past, however far, means "run once now": after
 * it succeeds `lastMutated` is the completion time, so an outage of N intervals never becomes N
 * mutations (no burst).
 */
export function dueAt(base: number, intervalUnits: number, unitMs: number): number {
  return base + intervalUnits * unitMs;
}

export function isDue(now: number, base: number, intervalUnits: number | null, unitMs: number): boolean {
  return intervalUnits !== null && now >= dueAt(base, intervalUnits, unitMs);
}

/**
 * How often a decky's services rotate. `default` follows the fleet default (Settings), `custom`
 * pins an interval on the decky, `off` never rotates it. The contract encodes the same three as
 * `mutateInterval`: absent, minutes, or null.
 */
export type MutationMode = 'default' | 'custom' | 'off';
export type MutationValue = { mode: MutationMode; minutes: number };

/** The wizard's range (the original's: 5 to 240 minutes in steps of 5, 30 by default). */
export const intervalRange = { min: 5, max: 240, step: 5, initial: 30 } as const;

/** Snaps any stored interval (the CLI accepts 1 to 10080) onto the slider's range. */
export function clampToRange(minutes: number): number {
  const snapped = Math.round(minutes / intervalRange.step) * intervalRange.step;
  return Math.min(intervalRange.max, Math.max(intervalRange.min, snapped));
}

/** "every 30 min", "every 2 h", "every 1 h 30 min", or "off". */
export function describeInterval(minutes: number | null): string {
  if (minutes === null) return 'off';
  if (minutes < 60) return `every ${minutes} min`;
  const h = Math.floor(minutes / 60);
  const m = minutes % 60;
  return m === 0 ? `every ${h} h` : `every ${h} h ${m} min`;
}

export function toMutateInterval(v: MutationValue): number | null | undefined {
  return v.mode === 'default' ? undefined : v.mode === 'off' ? null : v.minutes;
}

export function fromMutateInterval(
  mutateInterval: number | null | undefined,
  fleetDefault: number | null,
): MutationValue {
  if (mutateInterval === undefined)
    return { mode: 'default', minutes: clampToRange(fleetDefault ?? intervalRange.initial) };
  if (mutateInterval === null) return { mode: 'off', minutes: clampToRange(fleetDefault ?? intervalRange.initial) };
  return { mode: 'custom', minutes: clampToRange(mutateInterval) };
}

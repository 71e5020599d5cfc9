import type { HostLiveness } from '../../../shared/domain/host';

/** Missed beats before a host is suspect / offline, and the grace added to the offline limit. */
export const SUSPECT_AFTER_BEATS = 2;
export const OFFLINE_AFTER_BEATS = 3;
export const OFFLINE_GRACE_MS = 10_000;

/**
 * Liveness from the last heartbeat: online; suspect after 2 missed beats; offline after 3 missed
 * beats plus 10 s grace (Nomad's TTL-plus-grace idea, so one slow beat does not flap a host).
 */
export function livenessOf(lastHeartbeatAt: string | null, now: number, intervalMs: number): HostLiveness {
  if (!lastHeartbeatAt) return 'never';
  const age = now - Date.parse(lastHeartbeatAt);
  if (age > OFFLINE_AFTER_BEATS * intervalMs + OFFLINE_GRACE_MS) return 'offline';
  if (age > SUSPECT_AFTER_BEATS * intervalMs) return 'suspect';
  return 'online';
}

import type { QueryClient } from '@tanstack/react-query';
import type { Command, DecnetBridge, EventName } from '../../../shared/ipc/types';

/** Which queries each pushed event makes stale. The one place that knows this mapping. */
export const invalidationsByEvent = {
  'hosts.changed': ['hosts.list'],
  'deckies.changed': ['deckies.list', 'hosts.list'],
  'deckies.mutated': ['deckies.list', 'lifecycle.recent'],
  'lifecycle.changed': ['lifecycle.get', 'lifecycle.recent', 'deckies.list'],
  'events.captured': ['events.list', 'events.histogram', 'sources.list', 'sources.timeline'],
  'topologies.changed': ['topologies.list', 'topologies.state'],
  'incidents.changed': ['incidents.list'],
  'security.alerted': [],
} as const satisfies Record<EventName, readonly Command[]>;

/** Bursts (a 500-decky deploy settles in a few seconds) are folded into one refetch per window. */
export const COALESCE_MS = 150;

/**
 * Subscribes to every pushed event and invalidates the matching queries. Invalidations are
 * coalesced: react-query cancels an in-flight fetch on each invalidation, so invalidating per
 * event during a burst would starve a 10 000-row list of ever completing.
 */
export function startLiveUpdates(bridge: DecnetBridge, queryClient: QueryClient): () => void {
  const pending = new Set<Command>();
  let timer: ReturnType<typeof setTimeout> | null = null;

  const flush = (): void => {
    timer = null;
    const names = [...pending];
    pending.clear();
    for (const name of names) void queryClient.invalidateQueries({ queryKey: [name] });
  };

  const offs = (Object.keys(invalidationsByEvent) as EventName[]).map((event) =>
    bridge.on(event, () => {
      const names: readonly Command[] = invalidationsByEvent[event];
      if (names.length === 0) return;
      names.forEach((n) => pending.add(n));
      timer ??= setTimeout(flush, COALESCE_MS);
    }),
  );

  return () => {
    offs.forEach((off) => off());
    if (timer) clearTimeout(timer);
  };
}

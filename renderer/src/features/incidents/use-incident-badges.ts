import { useMemo } from 'react';
import { useCommand } from '../../api/use-command';

export type IncidentBadges = Readonly<{
  /** Open (not acknowledged, not closed) incidents touching each decky. */
  byDecky: ReadonlyMap<string, number>;
  /** Open incidents touching a decky of each host (by host name; null = the local agent). */
  byHost: ReadonlyMap<string | null, number>;
}>;

/**
 * Counts for the Deckies and Hosts page badges, from the same `incidents.list {state: open}` the
 * nav's counter reads (pushed `incidents.changed` refreshes it). An incident that touched two
 * deckies of one host counts once for that host.
 */
export function useIncidentBadges(): IncidentBadges {
  const incidents = useCommand('incidents.list', { state: 'open' });
  const deckies = useCommand('deckies.list', {});
  return useMemo(() => {
    const hostOf = new Map((deckies.data ?? []).map((d) => [d.config.name, d.hostName]));
    const byDecky = new Map<string, number>();
    const byHost = new Map<string | null, number>();
    for (const i of incidents.data?.incidents ?? []) {
      const hosts = new Set<string | null>();
      for (const name of i.deckies) {
        byDecky.set(name, (byDecky.get(name) ?? 0) + 1);
        if (hostOf.has(name)) hosts.add(hostOf.get(name) ?? null);
      }
      for (const h of hosts) byHost.set(h, (byHost.get(h) ?? 0) + 1);
    }
    return { byDecky, byHost };
  }, [incidents.data, deckies.data]);
}

/** The badge itself: nothing when there is no open incident. */
export function incidentBadgeText(n: number | undefined): string | null {
  if (!n) return null;
  return n === 1 ? '1 open incident' : `${n.toLocaleString()} open incidents`;
}

import { useEffect, useRef, useState } from 'react';
import type { AttackerEvent } from '../../../../shared/domain/events';
import type { EventFilter } from '../../../../shared/domain/event-query';
import { call } from '../../api/bridge';

const PAGE = 500;

/**
 * Older pages of the Events table, fetched on demand with the keyset cursor the previous page
 * returned. They start over whenever the filter or the first page's cursor changes (new events
 * arrived or the analyst changed a filter), so a page never mixes two queries.
 */
export function useOlderPages(filter: EventFilter, firstCursor: string | null) {
  const key = JSON.stringify(filter) + '|' + (firstCursor ?? '');
  const [state, setState] = useState<{ key: string; events: AttackerEvent[]; next: string | null }>({
    key,
    events: [],
    next: firstCursor,
  });
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const current = useRef(key);
  current.current = key;
  useEffect(() => {
    setState({ key, events: [], next: firstCursor });
    setError(null);
  }, [key, firstCursor]);
  const view = state.key === key ? state : { key, events: [], next: firstCursor };
  return {
    events: view.events,
    nextCursor: view.next,
    loading,
    error,
    loadMore: () => {
      if (!view.next || loading) return;
      setLoading(true);
      const asked = key;
      call('events.list', { ...filter, limit: PAGE, cursor: view.next })
        .then((p) => {
          if (current.current !== asked) return; // the filter changed meanwhile: drop the answer
          setState({ key: asked, events: [...view.events, ...p.events], next: p.nextCursor });
        })
        .catch((err: unknown) => setError(err))
        .finally(() => setLoading(false));
    },
  };
}

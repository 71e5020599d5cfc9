import { QueryClient } from '@tanstack/react-query';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ipcEvents } from '../../../shared/ipc/contract';
import { COALESCE_MS, invalidationsByEvent, startLiveUpdates } from '../../../renderer/src/api/live-updates';
import { createFakeBridge } from '../../fixtures/fake-bridge';

afterEach(() => vi.useRealTimers());

describe('live updates', () => {
  it('maps every contract event, and the ones the console needs to the right lists', () => {
    expect(Object.keys(invalidationsByEvent).sort()).toEqual(Object.keys(ipcEvents).sort());
    expect(invalidationsByEvent['hosts.changed']).toContain('hosts.list');
    expect(invalidationsByEvent['lifecycle.changed']).toEqual(
      expect.arrayContaining(['lifecycle.get', 'lifecycle.recent', 'deckies.list']),
    );
    expect(invalidationsByEvent['events.captured']).toContain('events.list');
    expect(invalidationsByEvent['topologies.changed']).toContain('topologies.list');
  });

  it('folds a burst of pushes into one invalidation per query name, and unsubscribes on stop', () => {
    vi.useFakeTimers();
    const bridge = createFakeBridge();
    const qc = new QueryClient();
    const spy = vi.spyOn(qc, 'invalidateQueries').mockResolvedValue();
    const stop = startLiveUpdates(bridge, qc);
    for (let i = 0; i < 50; i++) bridge.emit('lifecycle.changed', { rows: [] });
    bridge.emit('events.captured', { count: 3, latest: new Date().toISOString() });
    expect(spy).not.toHaveBeenCalled();
    vi.advanceTimersByTime(COALESCE_MS);
    const keys = spy.mock.calls.map((c) => (c[0] as { queryKey: string[] }).queryKey[0]).sort();
    expect(keys).toEqual([
      'deckies.list',
      'events.histogram',
      'events.list',
      'lifecycle.get',
      'lifecycle.recent',
      'sources.list',
      'sources.timeline',
    ]);

    stop();
    spy.mockClear();
    bridge.emit('hosts.changed', { hostUuids: [] });
    vi.advanceTimersByTime(COALESCE_MS * 2);
    expect(spy).not.toHaveBeenCalled();
  });
});

// @vitest-environment jsdom
import { cleanup, fireEvent, screen, within } from '@testing-library/react';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { AttackerEvent } from '../../../shared/domain/events';
import { useFiltersStore } from '../../../renderer/src/stores/filters-store';
import { useUiStore } from '../../../renderer/src/stores/ui-store';
import { createFakeBridge } from '../../fixtures/fake-bridge';
import { renderApp } from '../../helpers/render-app';

// jsdom lays nothing out: give the virtualised table a screen's worth of room, as a browser would.
beforeAll(() => {
  vi.spyOn(HTMLElement.prototype, 'clientHeight', 'get').mockReturnValue(800);
  vi.spyOn(HTMLElement.prototype, 'clientWidth', 'get').mockReturnValue(1200);
});
afterAll(() => vi.restoreAllMocks());
afterEach(() => {
  cleanup();
  useFiltersStore.setState({ eventSrc: '', eventText: '', eventKind: '', eventRange: '24h', attackerSrc: '' });
});

const ev = (i: number, src: string): AttackerEvent => ({
  id: `e${i}`,
  ts: new Date(Date.now() - i * 60_000).toISOString(),
  decky: 'web-01',
  service: 'http',
  src,
  kind: 'request',
  data: { method: 'GET', path: `/p${i}` },
});

describe('Events page', () => {
  it('sends the range, source and text filters to events.list and the chart, and opens a source in Attackers', async () => {
    const bridge = createFakeBridge({ events: [ev(1, '198.51.100.7'), ev(2, '203.0.113.9')] });
    renderApp(bridge, 'events');
    const table = await screen.findByRole('table', { name: 'Captured events' });
    await within(table).findByText('GET /p1');

    fireEvent.change(screen.getByLabelText('Time range'), { target: { value: '7d' } });
    const source = screen.getByLabelText('Source');
    fireEvent.change(source, { target: { value: '198.51.100.0/24' } });
    fireEvent.keyDown(source, { key: 'Enter' });
    const text = screen.getByLabelText('Search');
    fireEvent.change(text, { target: { value: 'wp-login' } });
    fireEvent.blur(text);
    const last = <C extends string>(command: C) =>
      bridge.calls.filter((c) => c.command === command).at(-1)?.input as Record<string, unknown> | undefined;
    await vi.waitFor(() => expect(last('events.list')).toMatchObject({ src: '198.51.100.0/24', text: 'wp-login' }));
    const list = last('events.list')!;
    expect(Date.now() - Date.parse(list.since as string)).toBeGreaterThan(6.9 * 86_400_000);
    expect(last('events.histogram')).toMatchObject({ src: '198.51.100.0/24', text: 'wp-login', since: list.since });

    fireEvent.click(screen.getByRole('button', { name: 'Clear filters' }));
    await within(table).findByText('GET /p2');
    fireEvent.click(within(table).getByRole('button', { name: '203.0.113.9' }));
    expect(useUiStore.getState().page).toBe('attackers');
    expect(useFiltersStore.getState().attackerSrc).toBe('203.0.113.9');
  });
});

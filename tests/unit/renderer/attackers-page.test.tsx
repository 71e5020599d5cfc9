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
  useFiltersStore.setState({ attackerSrc: '', attackerDecky: '' });
});

const at = (m: number) => new Date(Date.now() - 60_000 * (30 - m)).toISOString();
const ev = (m: number, kind: string, data: Record<string, unknown>): AttackerEvent => ({
  id: `e${m}`,
  ts: at(m),
  decky: 'web-01',
  service: 'ssh',
  src: '198.51.100.7',
  kind,
  data: { session: 's1', ...data },
});

describe('Attackers page', () => {
  it('lists sources, opens one as its sessions with credentials and commands in order', async () => {
    const bridge = createFakeBridge({
      sources: [
        {
          src: '198.51.100.7',
          firstSeen: at(0),
          lastSeen: at(3),
          events: 4,
          deckies: ['files-01', 'web-01'],
          services: ['http', 'ssh'],
          credentials: 2,
          commands: 1,
        },
        {
          src: '203.0.113.9',
          firstSeen: at(1),
          lastSeen: at(1),
          events: 1,
          deckies: ['files-01'],
          services: ['http'],
          credentials: 0,
          commands: 0,
        },
      ],
      timelines: {
        '198.51.100.7': [
          {
            session: 's1',
            decky: 'web-01',
            service: 'ssh',
            start: at(0),
            end: at(3),
            events: [ev(0, 'connect', { port: 22 }), ev(1, 'auth', {}), ev(2, 'auth', {}), ev(3, 'command', {})],
            credentials: [
              { ts: at(1), username: 'root', password: 'toor1', success: false },
              { ts: at(2), username: 'root', password: 'toor', success: true },
            ],
            commands: [{ ts: at(3), command: 'uname -a' }],
          },
        ],
      },
    });
    renderApp(bridge, 'attackers');
    const table = await screen.findByRole('table', { name: 'Attackers' });
    await within(table).findByText('198.51.100.7');
    const row = within(table).getByText('198.51.100.7').closest<HTMLElement>('[role="row"]')!;
    expect(within(row).getByText('files-01, web-01')).toBeTruthy();
    expect(within(row).getByText('http, ssh')).toBeTruthy();

    fireEvent.click(within(table).getByRole('button', { name: '198.51.100.7' }));
    const session = await screen.findByRole('article', { name: 'Session s1 on web-01' });
    const creds = within(within(session).getByRole('list', { name: 'Credentials tried' })).getAllByRole('listitem');
    expect(creds.map((li) => li.textContent)).toEqual(['root : toor1 ✗', 'root : toor ✓ accepted']);
    expect(within(within(session).getByRole('list', { name: 'Commands' })).getByRole('listitem').textContent).toBe(
      '$ uname -a',
    );
  });

  it("a decky's Attackers button opens the page narrowed to that decky", async () => {
    const bridge = createFakeBridge({
      sources: [
        {
          src: '203.0.113.9',
          firstSeen: at(1),
          lastSeen: at(1),
          events: 1,
          deckies: ['files-01'],
          services: ['http'],
          credentials: 0,
          commands: 0,
        },
      ],
    });
    renderApp(bridge, 'attackers');
    useUiStore.getState().setPage('attackers');
    useFiltersStore.getState().set({ attackerDecky: 'web-01' });
    expect(await screen.findByText('No attacker in this range')).toBeTruthy();
    expect(
      bridge.calls.some((c) => c.command === 'sources.list' && (c.input as { decky?: string }).decky === 'web-01'),
    ).toBe(true);
  });
});

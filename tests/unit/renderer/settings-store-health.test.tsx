// @vitest-environment jsdom
import { cleanup, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { createFakeBridge, makeSettings } from '../../fixtures/fake-bridge';
import { renderApp } from '../../helpers/render-app';

afterEach(cleanup);

describe('Settings page: store health', () => {
  it('says every change is on disk when the store is healthy', async () => {
    renderApp(createFakeBridge({ settings: makeSettings() }), 'settings');
    expect(await screen.findByText(/Every change is on disk/)).toBeTruthy();
  });

  it('raises an alert naming the write error, and lists events refused per host', async () => {
    const settings = makeSettings({
      store: { ok: false, lastError: 'ENOSPC: no space left on device', lastWriteAt: null, failedWrites: 4 },
      trust: {
        refusedEvents: [{ hostUuid: '11111111-2222-4333-8444-555555555555', unknownDecky: 5, foreignDecky: 20 }],
      },
    });
    renderApp(createFakeBridge({ settings }), 'settings');
    const alert = await screen.findByText(/The store cannot be written: ENOSPC/);
    expect(alert.closest('[role="alert"]')).toBeTruthy();
    expect(alert.textContent).toMatch(/4 failed writes/);
    expect(screen.getByText(/20 naming another host's decky, 5 naming an unknown decky/)).toBeTruthy();
  });
});

describe('Settings page: audit trail and quit choice', () => {
  it('lists the recorded changes newest first with who and the outcome', async () => {
    const bridge = createFakeBridge({ settings: makeSettings() });
    bridge.state.audit = [
      {
        at: new Date().toISOString(),
        actor: 'admin@127.0.0.1',
        command: 'deckies.teardown',
        input: {},
        ok: false,
        error: { code: 'NOT_FOUND', message: 'no decky named x' },
      },
      {
        at: new Date().toISOString(),
        actor: 'desktop',
        command: 'hosts.enroll',
        input: { name: 'w1' },
        ok: true,
        error: null,
      },
    ];
    renderApp(bridge, 'settings');
    const card = (await screen.findByText('Audit trail')).closest('.card')!;
    await within(card as HTMLElement).findByText('hosts.enroll');
    const rows = card.querySelectorAll('tbody tr');
    const texts = Array.from(rows, (r) => r.textContent ?? '');
    expect(texts).toHaveLength(2);
    expect(texts[0]).toMatch(/admin@127\.0\.0\.1deckies\.teardownNOT_FOUND$/);
    expect(texts[1]).toMatch(/desktophosts\.enrollok$/);
  });

  it('changes what quitting does with the local deckies', async () => {
    const bridge = createFakeBridge({ settings: makeSettings() });
    renderApp(bridge, 'settings');
    const select = await screen.findByLabelText<HTMLSelectElement>(/When the console quits/);
    expect(select.value).toBe('ask');
    fireEvent.change(select, { target: { value: 'keep' } });
    await waitFor(() => expect(bridge.state.settings.localDeckiesOnQuit).toBe('keep'));
  });
});

describe('Settings page: accounts', () => {
  it('adds a viewer account after checking the name and password, and removes it after a confirm', async () => {
    const bridge = createFakeBridge({ settings: makeSettings() });
    renderApp(bridge, 'settings');
    const card = (await screen.findByText('Accounts')).closest('.card') as HTMLElement;
    expect(await within(card).findByText('admin')).toBeTruthy();
    fireEvent.change(within(card).getByLabelText('New account name'), { target: { value: 'Bad Name' } });
    fireEvent.change(within(card).getByLabelText('New account password'), { target: { value: 'long-enough-pw-1' } });
    fireEvent.click(within(card).getByRole('button', { name: 'Add account' }));
    expect(within(card).getByText(/account name must be 2-32 characters/)).toBeTruthy();
    expect(bridge.state.accounts).toEqual([]);

    fireEvent.change(within(card).getByLabelText('New account name'), { target: { value: 'soc-1' } });
    fireEvent.click(within(card).getByRole('button', { name: 'Add account' }));
    await waitFor(() => expect(bridge.state.accounts).toEqual([{ username: 'soc-1', role: 'viewer' }]));
    fireEvent.click(await within(card).findByRole('button', { name: 'Remove…' }));
    fireEvent.click(within(card).getByRole('button', { name: 'Remove soc-1' }));
    await waitFor(() => expect(bridge.state.accounts).toEqual([]));
  });
});

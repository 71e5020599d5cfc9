// @vitest-environment jsdom
import { cleanup, screen } from '@testing-library/react';
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

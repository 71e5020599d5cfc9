// @vitest-environment jsdom
import { cleanup, fireEvent, screen, within } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { createFakeBridge, makeHost } from '../../fixtures/fake-bridge';
import { renderApp } from '../../helpers/render-app';

afterEach(cleanup);

function progressRow(name: string): HTMLElement {
  const list = screen.getByRole('list', { name: 'Per-decky progress' });
  return within(list).getByText(name).closest('li')!;
}

describe('Deploy wizard', () => {
  it('previews with deckies.plan, deploys, and shows per-decky progress that follows lifecycle.changed', async () => {
    const host = makeHost({ name: 'worker-01', liveness: 'online' });
    const bridge = createFakeBridge({ hosts: [host] });
    renderApp(bridge, 'deckies');

    fireEvent.click((await screen.findAllByRole('button', { name: /Deploy deckies/ }))[0]!);
    const dialog = screen.getByRole('dialog');
    // Step 1: target host and count.
    fireEvent.click(await within(dialog).findByRole('radio', { name: /worker-01/ }));
    fireEvent.change(within(dialog).getByLabelText('Number of deckies'), { target: { value: '2' } });
    fireEvent.click(within(dialog).getByRole('button', { name: 'Next' }));
    // Step 2: archetype (Linux server is the default) — Enter submits the step.
    await within(dialog).findByRole('radio', { name: /Web server/ });
    fireEvent.click(within(dialog).getByRole('radio', { name: /Web server/ }));
    fireEvent.submit(dialog.querySelector('form')!);
    // Step 3: persona; step 4: periodic mutation, then Preview.
    fireEvent.click(await within(dialog).findByRole('button', { name: 'Next' }));
    fireEvent.click(await within(dialog).findByRole('button', { name: 'Preview' }));

    expect(await within(dialog).findByText('decky-01')).toBeTruthy();
    expect(within(dialog).getByText('decky-02')).toBeTruthy();
    expect(within(dialog).getByText('2 deckies will be deployed:')).toBeTruthy();
    const plan = bridge.calls.find((c) => c.command === 'deckies.plan')!;
    expect(plan.input).toMatchObject({ hostUuid: host.uuid, count: 2, archetype: 'web-server' });
    expect(bridge.calls.some((c) => c.command === 'deckies.deploy')).toBe(false);

    fireEvent.click(within(dialog).getByRole('button', { name: 'Deploy 2' }));
    await screen.findByRole('list', { name: 'Per-decky progress' });
    const deploy = bridge.calls.find((c) => c.command === 'deckies.deploy')!;
    // What was previewed is what gets deployed: names and addresses are pinned.
    expect(deploy.input).toMatchObject({
      deckies: [
        { name: 'decky-01', ip: '10.0.0.10' },
        { name: 'decky-02', ip: '10.0.0.11' },
      ],
    });
    expect(await within(await findRow('decky-01')).findByText('pending')).toBeTruthy();

    const [id1, id2] = [...bridge.state.lifecycle.keys()];
    bridge.setLifecycle(id1!, 'running');
    expect(await within(progressRow('decky-01')).findByText('running')).toBeTruthy();

    bridge.setLifecycle(id1!, 'succeeded');
    bridge.setLifecycle(id2!, 'failed', 'docker compose up failed: port 80 already allocated');
    expect(await within(progressRow('decky-01')).findByText('succeeded')).toBeTruthy();
    expect(within(progressRow('decky-02')).getByText('failed')).toBeTruthy();
    expect(within(progressRow('decky-02')).getByText(/port 80 already allocated/)).toBeTruthy();
    expect(screen.getAllByText('1 failed').length).toBeGreaterThan(0);
  });

  it('keeps tracking in the operations tray after the dialog is closed', async () => {
    const bridge = createFakeBridge({ hosts: [makeHost({ liveness: 'online' })] });
    renderApp(bridge, 'deckies');
    fireEvent.click((await screen.findAllByRole('button', { name: /Deploy deckies/ }))[0]!);
    const dialog = screen.getByRole('dialog');
    fireEvent.click(within(dialog).getByRole('button', { name: 'Next' }));
    fireEvent.click(await within(dialog).findByRole('button', { name: 'Next' }));
    fireEvent.click(await within(dialog).findByRole('button', { name: 'Next' }));
    fireEvent.click(await within(dialog).findByRole('button', { name: 'Preview' }));
    fireEvent.click(await within(dialog).findByRole('button', { name: 'Deploy 3' }));
    await screen.findByRole('list', { name: 'Per-decky progress' });
    fireEvent.keyDown(screen.getByRole('dialog'), { key: 'Escape' });
    expect(screen.queryByRole('dialog')).toBeNull();

    const tray = screen.getByRole('complementary', { name: 'Operations in progress' });
    expect(within(tray).getByText('Deploy 3 deckies')).toBeTruthy();
    expect(await within(tray).findByText('3 pending')).toBeTruthy();
    for (const id of bridge.state.lifecycle.keys()) bridge.setLifecycle(id, 'succeeded');
    expect(await within(tray).findByText('3 succeeded')).toBeTruthy();
  });

  it('shows the sentence for the error code when the master refuses the preview', async () => {
    const bridge = createFakeBridge({ hosts: [makeHost({ liveness: 'online' })] });
    bridge.failNext('deckies.plan', { code: 'CONFLICT', message: 'ip 10.0.0.110 is already used by decky-07' });
    renderApp(bridge, 'deckies');
    fireEvent.click((await screen.findAllByRole('button', { name: /Deploy deckies/ }))[0]!);
    const dialog = screen.getByRole('dialog');
    fireEvent.click(within(dialog).getByRole('button', { name: 'Next' }));
    fireEvent.click(await within(dialog).findByRole('button', { name: 'Next' }));
    fireEvent.click(await within(dialog).findByRole('button', { name: 'Next' }));
    fireEvent.click(await within(dialog).findByRole('button', { name: 'Preview' }));
    const alert = await within(dialog).findByRole('alert');
    expect(alert.textContent).toContain('That name or address is already in use');
    expect(alert.textContent).toContain('ip 10.0.0.110 is already used by decky-07');
  });
});

async function findRow(name: string): Promise<HTMLElement> {
  const list = await screen.findByRole('list', { name: 'Per-decky progress' });
  return (await within(list).findByText(name)).closest('li')!;
}

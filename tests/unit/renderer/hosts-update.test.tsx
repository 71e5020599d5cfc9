// @vitest-environment jsdom
import { cleanup, fireEvent, screen, within } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { createFakeBridge, makeHost } from '../../fixtures/fake-bridge';
import { renderApp } from '../../helpers/render-app';

afterEach(cleanup);

describe('Hosts page: agent updates', () => {
  it('"Update agent…" confirms, sends hosts.update for that host, and shows the result under the version', async () => {
    const bridge = createFakeBridge({
      hosts: [
        makeHost({ name: 'master-local', local: true, liveness: 'online' }),
        makeHost({ name: 'worker-01', liveness: 'online', agentVersion: '0.1.0' }),
      ],
    });
    renderApp(bridge, 'hosts');
    const local = (await screen.findByText('master-local')).closest('tr')!;
    expect(within(local).getByRole('button', { name: 'Update agent…' }).hasAttribute('disabled')).toBe(true);

    const row = screen.getByText('worker-01').closest('tr')!;
    fireEvent.click(within(row).getByRole('button', { name: 'Update agent…' }));
    expect(await screen.findByText(/goes back to the previous release on its own/)).toBeTruthy();
    expect(bridge.calls.some((c) => c.command === 'hosts.update')).toBe(false);
    fireEvent.click(screen.getByRole('button', { name: 'Update agent' }));
    expect(await within(row).findByText('updated to 0.2.0')).toBeTruthy();
    const worker = bridge.state.hosts.find((h) => h.name === 'worker-01')!;
    expect(bridge.calls.filter((c) => c.command === 'hosts.update').map((c) => c.input)).toEqual([
      { hostUuid: worker.uuid },
    ]);
  });

  it('"Update all…" sends the wave size and reports the finished rollout', async () => {
    const bridge = createFakeBridge({
      hosts: [makeHost({ name: 'worker-01', liveness: 'online' }), makeHost({ name: 'worker-02', liveness: 'online' })],
    });
    renderApp(bridge, 'hosts');
    await screen.findByText('worker-01');
    fireEvent.click(screen.getByRole('button', { name: 'Update all…' }));
    fireEvent.change(await screen.findByLabelText('Workers per wave'), { target: { value: '2' } });
    fireEvent.click(screen.getByRole('button', { name: 'Update all' }));
    expect(
      await screen.findByText(/All workers updated to decnet-agent-0\.2\.0-linux-x64\.tar\.gz \(2\)/),
    ).toBeTruthy();
    expect(bridge.calls.filter((c) => c.command === 'hosts.updateAll').map((c) => c.input)).toEqual([{ waveSize: 2 }]);
  });

  it('a chosen release needs both the tarball and its signature before the button arms', async () => {
    const bridge = createFakeBridge({ hosts: [makeHost({ name: 'worker-01', liveness: 'online' })] });
    renderApp(bridge, 'hosts');
    const row = (await screen.findByText('worker-01')).closest('tr')!;
    fireEvent.click(within(row).getByRole('button', { name: 'Update agent…' }));
    fireEvent.change(await screen.findByLabelText('Release'), { target: { value: 'file' } });
    const go = screen.getByRole('button', { name: 'Update agent' });
    expect(go.hasAttribute('disabled')).toBe(true);
    const tar = new File([new Uint8Array([0x1f, 0x8b, 1, 2])], 'decnet-agent-0.3.0-linux-x64.tar.gz');
    fireEvent.change(screen.getByLabelText('Tarball (.tar.gz)'), { target: { files: [tar] } });
    expect(go.hasAttribute('disabled')).toBe(true);
    fireEvent.change(screen.getByLabelText('Signature (.sig)'), { target: { files: [new File(['c2ln\n'], 'x.sig')] } });
    expect(go.hasAttribute('disabled')).toBe(false);
    fireEvent.click(go);
    await within(row).findByText('updated to 0.2.0');
    const sent = bridge.calls.find((c) => c.command === 'hosts.update')!.input as { release: unknown };
    expect(sent.release).toEqual({
      fileName: 'decnet-agent-0.3.0-linux-x64.tar.gz',
      tarballBase64: Buffer.from([0x1f, 0x8b, 1, 2]).toString('base64'),
      signatureBase64: 'c2ln',
    });
  });
});

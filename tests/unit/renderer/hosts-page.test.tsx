// @vitest-environment jsdom
import { cleanup, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { createFakeBridge, makeDeckyView, makeHost } from '../../fixtures/fake-bridge';
import { renderApp } from '../../helpers/render-app';

afterEach(cleanup);

describe('Hosts page', () => {
  it('shows each host with its liveness, the local marker and a shortened fingerprint', async () => {
    const fp = '0123456789abcdef'.repeat(4);
    const bridge = createFakeBridge({
      hosts: [
        makeHost({ name: 'master-local', local: true, address: '127.0.0.1', liveness: 'online', fingerprint: fp }),
        makeHost({ name: 'worker-02', liveness: 'suspect' }),
        makeHost({ name: 'worker-03', liveness: 'offline' }),
        makeHost({ name: 'worker-04', liveness: 'never', lastHeartbeatAt: null, address: null, agentVersion: null }),
      ],
    });
    renderApp(bridge, 'hosts');

    const local = (await screen.findByText('master-local')).closest('tr')!;
    expect(within(local).getByText('local')).toBeTruthy();
    expect(within(local).getByText('online')).toBeTruthy();
    expect(within(local).getByText(/heartbeat .* ago/)).toBeTruthy();
    expect(within(local).getByTitle(new RegExp(fp)).textContent).toBe('0123456789abcdef…');
    expect(within(local).getByRole('button', { name: 'Decommission' }).hasAttribute('disabled')).toBe(true);

    expect(within(screen.getByText('worker-02').closest('tr')!).getByText('suspect')).toBeTruthy();
    expect(within(screen.getByText('worker-03').closest('tr')!).getByText('offline')).toBeTruthy();
    const never = screen.getByText('worker-04').closest('tr')!;
    expect(within(never).getByText('never')).toBeTruthy();
    expect(within(never).getByText('no heartbeat yet')).toBeTruthy();
    expect(within(never).getByText('waiting for first connect')).toBeTruthy();

    // The counter the original got wrong (its §13.14): online is counted from the master's liveness.
    expect(screen.getByText('4 enrolled')).toBeTruthy();
    expect(screen.getByText('1 online')).toBeTruthy();
  });

  it('refreshes when the master pushes hosts.changed', async () => {
    const bridge = createFakeBridge({ hosts: [makeHost({ name: 'worker-01', liveness: 'online' })] });
    renderApp(bridge, 'hosts');
    await screen.findByText('worker-01');
    bridge.state.hosts = [{ ...bridge.state.hosts[0]!, liveness: 'offline' }];
    bridge.emit('hosts.changed', { hostUuids: [bridge.state.hosts[0]!.uuid] });
    expect(await within(screen.getByText('worker-01').closest('tr')!).findByText('offline')).toBeTruthy();
  });

  it('shows the check result inline and asks for the host name before decommissioning', async () => {
    const bridge = createFakeBridge({ hosts: [makeHost({ name: 'worker-09', liveness: 'offline' })] });
    renderApp(bridge, 'hosts');
    const row = (await screen.findByText('worker-09')).closest('tr')!;
    fireEvent.click(within(row).getByRole('button', { name: /Check/ }));
    expect(await within(row).findByText(/Unreachable: connect ECONNREFUSED/)).toBeTruthy();

    fireEvent.click(within(row).getByRole('button', { name: 'Decommission' }));
    fireEvent.click(await screen.findByRole('button', { name: 'Continue' }));
    const confirm = screen.getByRole('button', { name: 'Decommission host' });
    expect(confirm.hasAttribute('disabled')).toBe(true);
    fireEvent.change(screen.getByLabelText(/Type "worker-09"/), { target: { value: 'worker-09' } });
    fireEvent.click(confirm);
    expect(await screen.findByText('worker-09 decommissioned')).toBeTruthy();
    expect(bridge.calls.some((c) => c.command === 'hosts.decommission')).toBe(true);
  });

  it('enrolls a host and shows the join command with a countdown; Escape closes the dialog', async () => {
    const bridge = createFakeBridge();
    renderApp(bridge, 'hosts');
    fireEvent.click((await screen.findAllByRole('button', { name: /Enroll host/ }))[0]!);
    fireEvent.change(screen.getByLabelText('Host name'), { target: { value: 'worker-05' } });
    fireEvent.submit(screen.getByLabelText('Host name').closest('form')!);
    expect(await screen.findByText(/decnet-agent enroll --master/)).toBeTruthy();
    expect(screen.getByText(/Expires in/).textContent).toMatch(/1[45]:\d\d/);
    fireEvent.keyDown(screen.getByRole('dialog'), { key: 'Escape' });
    expect(screen.queryByRole('dialog')).toBeNull();
  });
});

describe('Hosts page network settings', () => {
  const reported = {
    driver: 'macvlan' as const,
    interface: 'eth0',
    address: '198.51.100.2',
    subnet: '198.51.100.0/24',
    gateway: '198.51.100.1',
  };

  it('shows what the agent reports, refuses a bad range inline, and saves a good one', async () => {
    const bridge = createFakeBridge({
      hosts: [makeHost({ name: 'lan-01', liveness: 'online', network: { reported, settings: {} } })],
    });
    renderApp(bridge, 'hosts');
    const row = (await screen.findByText('lan-01')).closest('tr')!;
    fireEvent.click(within(row).getByRole('button', { name: 'Network…' }));
    expect((await screen.findByTestId('network-reported')).textContent).toBe(
      'The agent reports: macvlan on eth0, 198.51.100.2 in 198.51.100.0/24, gateway 198.51.100.1.',
    );
    const save = screen.getByRole('button', { name: 'Save' });
    expect(save.hasAttribute('disabled')).toBe(true);

    const range = screen.getByLabelText('Decky addresses');
    fireEvent.change(range, { target: { value: '198.51.100.300-198.51.100.310' } });
    expect(screen.getByText(/^decky range must be FIRST-LAST or a CIDR/)).toBeTruthy();
    expect(save.hasAttribute('disabled')).toBe(true);

    fireEvent.change(range, { target: { value: '198.51.100.200-198.51.100.220' } });
    expect(save.hasAttribute('disabled')).toBe(false);
    fireEvent.click(save);
    await waitFor(() => expect(screen.queryByTestId('network-reported')).toBeNull());
    expect(bridge.state.hosts[0]!.network).toEqual({
      reported,
      settings: { deckyRange: '198.51.100.200-198.51.100.220' },
    });
  });

  it('offers only loopback for the embedded local host', async () => {
    const bridge = createFakeBridge({ hosts: [makeHost({ name: 'master-local', local: true, liveness: 'online' })] });
    renderApp(bridge, 'hosts');
    const row = (await screen.findByText('master-local')).closest('tr')!;
    fireEvent.click(within(row).getByRole('button', { name: 'Network…' }));
    const driver = await screen.findByLabelText<HTMLSelectElement>('Driver');
    const enabled = Array.from(driver.options)
      .filter((o) => !o.disabled)
      .map((o) => o.value);
    expect(enabled).toEqual(['', 'loopback']);
    expect(screen.getByTestId('network-reported').textContent).toMatch(/has not reported its network yet/);
  });
});

describe('open incident badges', () => {
  const incident = (deckies: string[], state: 'open' | 'acknowledged' = 'open') => ({
    id: crypto.randomUUID(),
    rule: 'first-contact' as const,
    source: '198.51.100.9',
    title: 'New source 198.51.100.9',
    deckies,
    services: ['ssh'],
    firstAt: new Date().toISOString(),
    lastAt: new Date().toISOString(),
    count: 1,
    state,
  });

  it('counts open incidents per decky and per host; acknowledged ones do not count', async () => {
    const w1 = makeHost({ name: 'worker-01', liveness: 'online' });
    const w2 = makeHost({ name: 'worker-02', liveness: 'online' });
    const bridge = createFakeBridge({
      hosts: [w1, w2],
      deckies: [
        makeDeckyView({ name: 'web-01', hostUuid: w1.uuid }, { hostName: 'worker-01' }),
        makeDeckyView({ name: 'web-02', hostUuid: w1.uuid, ip: '10.0.0.52' }, { hostName: 'worker-01' }),
        makeDeckyView({ name: 'db-01', hostUuid: w2.uuid, ip: '10.0.0.53' }, { hostName: 'worker-02' }),
      ],
      incidents: [incident(['web-01', 'web-02']), incident(['web-01']), incident(['db-01'], 'acknowledged')],
    });
    renderApp(bridge, 'hosts');
    const row1 = (await screen.findByText('worker-01')).closest('tr')!;
    expect(await within(row1).findByLabelText('2 open incidents')).toBeTruthy();
    const row2 = screen.getByText('worker-02').closest('tr')!;
    expect(within(row2).queryByLabelText(/open incident/)).toBeNull();
  });
});

// @vitest-environment jsdom
import { cleanup, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { describeInterval, fromMutateInterval, toMutateInterval } from '../../../renderer/src/lib/mutate-interval';
import { createFakeBridge, type FakeBridge, makeDeckyView, makeHost, makeSettings } from '../../fixtures/fake-bridge';
import { renderApp } from '../../helpers/render-app';

afterEach(cleanup);

// jsdom has no layout: give the virtualised table a viewport so its rows render.
beforeAll(() => {
  vi.spyOn(HTMLElement.prototype, 'clientHeight', 'get').mockImplementation(function (this: HTMLElement) {
    return this.classList.contains('vtable') ? 800 : 0;
  });
  vi.spyOn(HTMLElement.prototype, 'clientWidth', 'get').mockImplementation(function (this: HTMLElement) {
    return this.classList.contains('vtable') ? 1200 : 0;
  });
});
afterAll(() => vi.restoreAllMocks());

/** Opens the wizard and walks to the periodic-mutation step (target, profile, persona: defaults). */
async function openMutationStep(bridge: FakeBridge): Promise<HTMLElement> {
  renderApp(bridge, 'deckies');
  fireEvent.click((await screen.findAllByRole('button', { name: /Deploy deckies/ }))[0]!);
  const dialog = screen.getByRole('dialog');
  for (let i = 0; i < 3; i++) fireEvent.click(await within(dialog).findByRole('button', { name: 'Next' }));
  await within(dialog).findByRole('group', { name: 'Periodic mutation' });
  return dialog;
}

describe('mutate-interval helpers', () => {
  it('describes minutes, hours and off', () => {
    expect([5, 30, 60, 90, 240, null].map(describeInterval)).toEqual([
      'every 5 min',
      'every 30 min',
      'every 1 h',
      'every 1 h 30 min',
      'every 4 h',
      'off',
    ]);
  });

  it('maps the contract value (absent, minutes, null) to the three choices and back, snapping onto the 5–240 grid', () => {
    expect(fromMutateInterval(undefined, 45)).toEqual({ mode: 'default', minutes: 45 });
    expect(fromMutateInterval(null, null)).toEqual({ mode: 'off', minutes: 30 });
    expect(fromMutateInterval(1, 30)).toEqual({ mode: 'custom', minutes: 5 });
    expect(fromMutateInterval(10080, 30)).toEqual({ mode: 'custom', minutes: 240 });
    expect(toMutateInterval({ mode: 'default', minutes: 30 })).toBeUndefined();
    expect(toMutateInterval({ mode: 'off', minutes: 30 })).toBeNull();
    expect(toMutateInterval({ mode: 'custom', minutes: 65 })).toBe(65);
  });
});

describe('Deploy wizard: periodic mutation step', () => {
  it('is on by default through the fleet default, and then sends no interval of its own', async () => {
    const bridge = createFakeBridge({
      hosts: [makeHost({ liveness: 'online' })],
      settings: makeSettings({ mutateInterval: 30 }),
    });
    const dialog = await openMutationStep(bridge);
    const follow = within(dialog).getByRole('radio', { name: /Follow the fleet default/ });
    expect((follow as HTMLInputElement).checked).toBe(true);
    expect(within(dialog).getByText('every 30 min, set in Settings')).toBeTruthy();

    fireEvent.click(within(dialog).getByRole('button', { name: 'Preview' }));
    expect(await within(dialog).findByText('Periodic mutation: every 30 min (the fleet default).')).toBeTruthy();
    const plan = bridge.calls.find((c) => c.command === 'deckies.plan')!;
    expect(plan.input).not.toHaveProperty('mutateInterval');
  });

  it('pins an interval chosen on the 5–240 min slider on the deckies it deploys', async () => {
    const bridge = createFakeBridge({ hosts: [makeHost({ liveness: 'online' })] });
    const dialog = await openMutationStep(bridge);
    fireEvent.click(within(dialog).getByRole('radio', { name: /Own interval/ }));
    const slider = within(dialog).getByLabelText<HTMLInputElement>(/Minutes between mutations/);
    expect([slider.min, slider.max, slider.step, slider.value]).toEqual(['5', '240', '5', '30']);
    fireEvent.change(slider, { target: { value: '90' } });
    expect(within(dialog).getByText('Minutes between mutations: 90')).toBeTruthy();

    fireEvent.click(within(dialog).getByRole('button', { name: 'Preview' }));
    expect(await within(dialog).findByText('Periodic mutation: every 1 h 30 min.')).toBeTruthy();
    expect(bridge.calls.find((c) => c.command === 'deckies.plan')!.input).toMatchObject({ mutateInterval: 90 });
    fireEvent.click(within(dialog).getByRole('button', { name: 'Deploy 3' }));
    await screen.findByRole('list', { name: 'Per-decky progress' });
    expect(bridge.calls.find((c) => c.command === 'deckies.deploy')!.input).toMatchObject({ mutateInterval: 90 });
  });

  it('turned off, it deploys with mutateInterval null', async () => {
    const bridge = createFakeBridge({ hosts: [makeHost({ liveness: 'online' })] });
    const dialog = await openMutationStep(bridge);
    fireEvent.click(within(dialog).getByRole('radio', { name: /^Off/ }));
    fireEvent.click(within(dialog).getByRole('button', { name: 'Preview' }));
    expect(await within(dialog).findByText('Periodic mutation: off.')).toBeTruthy();
    expect(bridge.calls.find((c) => c.command === 'deckies.plan')!.input).toMatchObject({ mutateInterval: null });
  });
});

describe('Deckies page: per-decky schedule editor', () => {
  it('shows each decky’s interval, and saves off, an own interval, and back to the fleet default', async () => {
    const bridge = createFakeBridge({
      deckies: [
        makeDeckyView({ name: 'web-01' }),
        makeDeckyView({ name: 'db-01', ip: '10.0.0.21', mutateInterval: 120 }),
      ],
      settings: makeSettings({ mutateInterval: 30 }),
    });
    renderApp(bridge, 'deckies');
    expect(
      await screen.findByRole('button', { name: 'Mutation schedule of web-01: every 30 min (fleet default)' }),
    ).toBeTruthy();
    expect(screen.getByRole('button', { name: 'Mutation schedule of db-01: every 2 h' })).toBeTruthy();

    fireEvent.click(screen.getByRole('button', { name: /Mutation schedule of web-01/ }));
    let dialog = await screen.findByRole('dialog');
    expect(within(dialog).getByText(/Now: every 30 min/).textContent).toContain('(the fleet default)');
    const save = within(dialog).getByRole<HTMLButtonElement>('button', { name: 'Save' });
    expect(save.disabled).toBe(true); // nothing changed yet
    fireEvent.click(within(dialog).getByRole('radio', { name: /^Off/ }));
    fireEvent.click(save);
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());
    expect(bridge.calls.filter((c) => c.command === 'deckies.setMutateInterval').map((c) => c.input)).toEqual([
      { deckyName: 'web-01', mutateInterval: null },
    ]);
    expect(await screen.findByRole('button', { name: 'Mutation schedule of web-01: off' })).toBeTruthy();

    fireEvent.click(screen.getByRole('button', { name: /Mutation schedule of db-01/ }));
    dialog = await screen.findByRole('dialog');
    expect(within(dialog).getByLabelText<HTMLInputElement>(/Minutes between mutations/).value).toBe('120');
    fireEvent.click(within(dialog).getByRole('radio', { name: /Follow the fleet default/ }));
    fireEvent.click(within(dialog).getByRole('button', { name: 'Save' }));
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());
    // Following the default sends no interval: the master then drops the decky's own.
    expect(bridge.calls.filter((c) => c.command === 'deckies.setMutateInterval').at(-1)!.input).toEqual({
      deckyName: 'db-01',
    });
    expect(
      await screen.findByRole('button', { name: 'Mutation schedule of db-01: every 30 min (fleet default)' }),
    ).toBeTruthy();
  });

  it('warns that a command-line interval off the 5-minute grid changes if saved', async () => {
    const bridge = createFakeBridge({ deckies: [makeDeckyView({ name: 'web-01', mutateInterval: 1 })] });
    renderApp(bridge, 'deckies');
    fireEvent.click(await screen.findByRole('button', { name: 'Mutation schedule of web-01: every 1 min' }));
    const dialog = await screen.findByRole('dialog');
    expect(within(dialog).getByText(/set to every 1 min from the command line/)).toBeTruthy();
  });

  it('names the refusal when the master rejects the change, and keeps the dialog open', async () => {
    const bridge = createFakeBridge({ deckies: [makeDeckyView({ name: 'web-01' })] });
    bridge.failNext('deckies.setMutateInterval', { code: 'NOT_FOUND', message: 'no decky web-01' });
    renderApp(bridge, 'deckies');
    fireEvent.click(await screen.findByRole('button', { name: /Mutation schedule of web-01/ }));
    const dialog = await screen.findByRole('dialog');
    fireEvent.click(within(dialog).getByRole('radio', { name: /^Off/ }));
    fireEvent.click(within(dialog).getByRole('button', { name: 'Save' }));
    expect((await within(dialog).findByRole('alert')).textContent).toContain('no decky web-01');
    expect(screen.getByRole('dialog')).toBeTruthy();
  });
});

describe('Settings page: fleet default card', () => {
  it('turns the fleet default off, then on again at 45 minutes', async () => {
    const bridge = createFakeBridge({ settings: makeSettings({ mutateInterval: 30 }) });
    renderApp(bridge, 'settings');
    const card = (await screen.findByRole('heading', { name: 'Periodic mutation' })).closest('.card') as HTMLElement;
    expect(within(card).getByText(/Fleet default: every 30 min\./)).toBeTruthy();
    const save = within(card).getByRole<HTMLButtonElement>('button', { name: 'Save fleet default' });
    expect(save.disabled).toBe(true);

    fireEvent.click(within(card).getByRole('radio', { name: /^Off/ }));
    fireEvent.click(save);
    expect(await within(card).findByText(/Fleet default: off\./)).toBeTruthy();

    fireEvent.click(within(card).getByRole('radio', { name: /Rotate services/ }));
    fireEvent.change(within(card).getByLabelText(/Minutes between mutations/), { target: { value: '45' } });
    fireEvent.click(within(card).getByRole('button', { name: 'Save fleet default' }));
    expect(await within(card).findByText(/Fleet default: every 45 min\./)).toBeTruthy();
    expect(bridge.calls.filter((c) => c.command === 'settings.setMutateInterval').map((c) => c.input)).toEqual([
      { mutateInterval: null },
      { mutateInterval: 45 },
    ]);
  });
});

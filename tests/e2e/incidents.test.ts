// Browser journey of the alert issue (#19): Debian's Chromium drives the real headless console
// (`serve` with its embedded local agent and a real ssh decky). A real OpenSSH login from a new
// source opens an incident that appears on the Incidents page (the latency from the client's
// start to the row is measured and printed, not asserted); the analyst acknowledges and closes it
// from the page. The browser notification flow: one context whose origin is granted the
// permission gets one notification for the new incident, one whose origin is denied shows the
// "blocked" state and gets none. Only 127.0.0.0/8 traffic.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../helpers/eventually';
import { sshPasswordFlags } from '../helpers/ssh-client';
import { makeTmpDir } from '../helpers/tmp-dir';
import { loopbackBlock } from '../integration/master/harness';
import { buildAll, screenshot } from './console-flow';
import {
  CHROMIUM,
  type HeadlessConsole,
  launchChromium,
  loopbackContext,
  signIn,
  startHeadlessConsole,
} from './headless-console';

const PASSWORD = 'e2e-incidents-password';
const ip = loopbackBlock();
const [DECKY, ATTACKER] = [ip(31), ip(60)];

type Shown = { title: string; body: string };

/** Wraps the page's Notification constructor so the test can read what was shown (it still shows). */
async function recordNotifications(ctx: BrowserContext): Promise<void> {
  await ctx.addInitScript(() => {
    const Real = window.Notification;
    const shown: { title: string; body: string }[] = [];
    (window as unknown as { __shown: typeof shown }).__shown = shown;
    class Recorded extends Real {
      constructor(title: string, options?: NotificationOptions) {
        super(title, options);
        shown.push({ title, body: options?.body ?? '' });
      }
    }
    Object.defineProperty(window, 'Notification', { value: Recorded, configurable: true, writable: true });
  });
}

const shownIn = (page: Page): Promise<Shown[]> =>
  page.evaluate(() => (window as unknown as { __shown: { title: string; body: string }[] }).__shown);

async function openIncidents(page: Page): Promise<void> {
  await page
    .getByRole('navigation', { name: 'Main' })
    .getByRole('link', { name: /^Incidents/ })
    .click();
  await page.getByRole('heading', { level: 1, name: 'Incidents' }).waitFor();
}

describe.skipIf(!existsSync(CHROMIUM))('incidents in the browser', () => {
  let tmp: Awaited<ReturnType<typeof makeTmpDir>>;
  let console_: HeadlessConsole | undefined;
  let browser: Browser | undefined;
  let allowed: Page;
  let blocked: Page;

  beforeAll(async () => {
    await buildAll();
    tmp = await makeTmpDir('decnet-e2e-incidents-');
    console_ = await startHeadlessConsole(tmp.dir, PASSWORD);
    await console_.rpc('deckies.deploy', {
      services: ['ssh'],
      serviceConfig: { ssh: { users: 'root:toor' } },
      deckies: [{ name: 'e2e-inc-ssh', ip: DECKY }],
    });
    await eventually(
      async () => (await console_!.rpc<{ state: string }[]>('deckies.list', {}))[0]?.state === 'running' || undefined,
      { timeoutMs: 90_000, what: 'the decky running' },
    );
    browser = await launchChromium();
    const { origin } = new URL(console_.url);
    const granted = await loopbackContext(browser);
    await granted.grantPermissions(['notifications'], { origin });
    // CDP grants the listed permissions and denies every other one: an empty list denies them all.
    const denied = await loopbackContext(browser);
    await denied.grantPermissions([], { origin });
    await Promise.all([recordNotifications(granted), recordNotifications(denied)]);
    allowed = await signIn(granted, console_.url, PASSWORD);
    blocked = await signIn(denied, console_.url, PASSWORD);
  }, 240_000);

  afterAll(async () => {
    await browser?.close().catch(() => undefined);
    await console_?.master.stop();
    await tmp?.remove();
  });

  it('the analyst enables desktop notifications: granted shows them on, denied says they are blocked', async () => {
    for (const page of [allowed, blocked]) {
      await openIncidents(page);
      await page.getByRole('button', { name: 'Enable desktop notifications' }).click();
    }
    await allowed.getByRole('status').filter({ hasText: 'Desktop notifications on' }).waitFor();
    await blocked
      .getByRole('status')
      .filter({ hasText: /Notifications are blocked for this site/ })
      .waitFor();
    expect(await blocked.getByRole('button', { name: 'Enable desktop notifications' }).count()).toBe(0);
    // The opt-in survives a reload.
    await allowed.reload();
    await allowed.getByRole('status').filter({ hasText: 'Desktop notifications on' }).waitFor();
  });

  it('a real ssh login from a new source shows its incident on the page and one notification', async () => {
    const askpass = join(tmp.dir, 'askpass');
    await writeFile(askpass, "#!/bin/sh\necho 'toor'\n");
    await chmod(askpass, 0o700);
    const row = allowed.getByRole('table', { name: 'Incidents' }).getByRole('row').filter({ hasText: ATTACKER });
    const t0 = Date.now();
    const ssh = new Promise<number | null>((resolve) => {
      const c = spawn('ssh', [...sshPasswordFlags, '-T', '-o', `BindAddress=${ATTACKER}`, `root@${DECKY}`], {
        env: { ...process.env, SSH_ASKPASS: askpass, SSH_ASKPASS_REQUIRE: 'force', DISPLAY: ':0' },
        stdio: ['pipe', 'ignore', 'ignore'],
      });
      c.stdin.end('exit\n');
      c.on('exit', resolve);
    });
    await row.waitFor({ timeout: 30_000 });
    const latencyMs = Date.now() - t0;
    expect(await ssh).toBe(0);
    // Issue #19 asks for ≤ 2 s; timings are never asserted in npm test, so it is printed for the record.
    console.info(`incident on the Incidents page ${latencyMs} ms after the ssh client started (target 2000 ms)`);
    await expect(row.getByRole('cell').first().textContent()).resolves.toBe('First contact');
    await screenshot(allowed, 'incidents-new');

    const shown = await eventually(async () => (await shownIn(allowed)).length > 0 && shownIn(allowed), {
      timeoutMs: 10_000,
      what: 'a notification in the granted page',
    });
    expect(shown).toHaveLength(1);
    expect(shown[0]!.title).toBe('DECNET: new incident');
    expect(shown[0]!.body).toContain(`source ${ATTACKER}`);
    // The denied page lists the incident too, and shows no notification for it.
    await blocked.getByRole('table', { name: 'Incidents' }).getByRole('row').filter({ hasText: ATTACKER }).waitFor();
    expect(await shownIn(blocked)).toEqual([]);
  });

  it('acknowledges and closes the incident from the page', async () => {
    const rows = allowed.getByRole('table', { name: 'Incidents' }).getByRole('row').filter({ hasText: ATTACKER });
    await rows.getByRole('button', { name: 'Acknowledge' }).click();
    await rows.getByRole('cell', { name: 'acknowledged', exact: true }).waitFor();
    expect(await rows.getByRole('button', { name: 'Acknowledge' }).count()).toBe(0);
    await rows.getByRole('button', { name: 'Close' }).click();
    await rows.waitFor({ state: 'detached' });
    await allowed.getByLabel('Show closed').check();
    await rows.getByRole('cell', { name: 'closed', exact: true }).waitFor();
    await screenshot(allowed, 'incidents-closed');
    const all = await console_!.rpc<{ incidents: { source: string; state: string }[] }>('incidents.list', {});
    expect(all.incidents.filter((i) => i.source === ATTACKER).map((i) => i.state)).toEqual(['closed']);
    // Closing from one page reaches the other through the event stream.
    await blocked
      .getByRole('table', { name: 'Incidents' })
      .getByRole('row')
      .filter({ hasText: ATTACKER })
      .waitFor({ state: 'detached' });
  });
});

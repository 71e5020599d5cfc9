// Browser end-to-end journey: Debian's Chromium (playwright-core) drives the real headless console
// (`node out/main/cli.js serve`, its embedded local agent) and a second real agent enrolled through
// the page's own join command. Only 127.0.0.0/8 traffic; screenshots go to test-results/screenshots.
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { createConnection } from 'node:net';
import { join } from 'node:path';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../helpers/eventually';
import { makeTmpDir } from '../helpers/tmp-dir';
import { freePort, loopbackBlock } from '../integration/master/harness';
import {
  MASTER_CLI,
  type Proc,
  buildAll,
  createTopologyThroughForm,
  curl,
  decommissionThroughDialog,
  deckyIp,
  deckyRow,
  deployThroughWizard,
  dialog,
  enrollThroughWizard,
  goTo,
  hostRow,
  mutateThroughDialog,
  runAgent,
  runJoinCommand,
  screenshot,
  sshLogin,
  startProc,
  waitEventRow,
  waitHostState,
  waitReaperWipe,
} from './console-flow';

const CHROMIUM = '/usr/bin/chromium';
const chromiumAvailable = existsSync(CHROMIUM);
if (!chromiumAvailable)
  console.log(`console e2e: ${CHROMIUM} not found (apt-get install -y chromium): browser journey skipped`);

const PASSWORD = 'e2e-console-password';
const SSH_PASSWORD = 'e2e-Hunter2';
const WORKER = 'branch-e2e';
const PREFIX = 'e2e';

describe.skipIf(!chromiumAvailable)('console in the browser (headless master, real agents, Chromium)', () => {
  let tmp: { dir: string; remove: () => Promise<void> };
  let master: Proc | undefined;
  let worker: Proc | undefined;
  let browser: Browser | undefined;
  let ctx: BrowserContext;
  let page: Page;
  let consoleUrl = '';
  let swarmPort = 0;
  let agentPort = 0;
  let workerIp = '';
  let installRoot = '';
  let deckies: string[] = [];
  let decommissioned = false;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    await buildAll();
    tmp = await makeTmpDir('decnet-e2e-console-');
    const ip = loopbackBlock();
    workerIp = ip(10);
    installRoot = join(tmp.dir, 'worker-root');
    await mkdir(installRoot, { recursive: true });
    const apiPort = await freePort();
    swarmPort = await freePort();
    agentPort = await freePort();
    // Started as an operator would: without the test runner's VITEST/NODE_ENV, so the real
    // public-binding check runs and its verdict shows on the Settings page.
    const env = Object.fromEntries(
      Object.entries(process.env).filter(([k, v]) => !k.startsWith('VITEST') && !(k === 'NODE_ENV' && v === 'test')),
    );
    master = startProc(
      process.execPath,
      [
        MASTER_CLI,
        'serve',
        '--data',
        join(tmp.dir, 'console-data'),
        '--api-port',
        String(apiPort),
        '--swarm-port',
        String(swarmPort),
      ],
      {
        ...env,
        DECNET_API_HOST: '127.0.0.1',
        DECNET_SWARM_HOST: '127.0.0.1',
        DECNET_HEARTBEAT_INTERVAL_S: '1',
        DECNET_ADMIN_PASSWORD: PASSWORD,
        DECNET_AGENT_PORT: String(agentPort),
        DECNET_LOG_LEVEL: 'info',
      },
    );
    consoleUrl = await eventually(
      () => {
        if (!master!.alive()) throw new Error(`decnet-master exited:\n${master!.output()}`);
        return /console API: (http:\/\/127\.0\.0\.1:\d+)/.exec(master!.output())?.[1];
      },
      { timeoutMs: 30_000, what: 'console API listening' },
    );
    expect(master.output()).toContain(`swarm listener: https://127.0.0.1:${swarmPort}`);

    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
        '--disable-quic',
      ],
    });
    ctx = await browser.newContext({ viewport: { width: 1440, height: 900 }, deviceScaleFactor: 1 });
    // The page may talk to the console on 127.0.0.1 and nothing else.
    await ctx.route(/^(?!http:\/\/127\.0\.0\.1[:/])/, (route) => route.abort());
    ctx.setDefaultTimeout(30_000);
    page = await ctx.newPage();
    page.on('pageerror', (e) => pageErrors.push(String(e)));
  });

  afterAll(async () => {
    await browser?.close().catch(() => undefined);
    await worker?.stop();
    await master?.stop();
    // The reaper (detached) may still be finishing inside the install root: let it end first.
    if (decommissioned) await waitReaperWipe(installRoot).catch(() => undefined);
    await tmp?.remove();
  });

  const failWith = (err: unknown): never => {
    const tail = (p?: Proc): string => (p ? p.output().split('\n').slice(-40).join('\n') : '');
    throw new Error(`${String(err)}\n--- master ---\n${tail(master)}\n--- worker ---\n${tail(worker)}`);
  };

  it('logs in through the login screen and shows the local host online', async () => {
    await page.goto(consoleUrl);
    await page.locator('.login-card').waitFor();
    await screenshot(page, 'login');
    await page.getByLabel('Password').fill('not-the-password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText('Wrong password.').waitFor();
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { level: 1, name: 'Hosts' }).waitFor();
    const local = hostRow(page, 'local-agent');
    await local.getByText('local', { exact: true }).waitFor();
    await waitHostState(page, 'local-agent', 'online');
    await expect.poll(() => local.getByText(/heartbeat .*ago|heartbeat just now/).count()).toBe(1);
  });

  it('enrolls a worker with the join command the page shows, runs it, and sees it come online', async () => {
    try {
      const { command, hostUuid } = await enrollThroughWizard(page, WORKER, workerIp);
      expect(command).toMatch(
        new RegExp(
          `^decnet-agent enroll --master https://127\\.0\\.0\\.1:${swarmPort} --token DECNET1-[0-9a-f]{64}-\\S+ --name ${WORKER} --address ${workerIp.replace(/\./g, '\\.')}$`,
        ),
      );
      await screenshot(page, 'hosts-enroll');
      const identityDir = join(installRoot, 'etc/decnet/agent');
      const enrolled = await runJoinCommand(command, identityDir);
      expect(enrolled).toContain(`enrolled as ${WORKER} (host ${hostUuid})`);
      await dialog(page, 'Enroll host').getByRole('button', { name: 'Done' }).click();

      worker = runAgent({
        identityDir,
        stateDir: join(installRoot, 'var/lib/decnet'),
        ip: workerIp,
        port: agentPort,
        installRoot,
      });
      await waitHostState(page, WORKER, 'online', 40_000);
      const row = hostRow(page, WORKER);
      await row.getByText(`${workerIp}:${agentPort}`).waitFor();
      await row.getByRole('button', { name: 'Check' }).click();
      await row
        .getByRole('status')
        .getByText(/^Reachable · agent /)
        .waitFor();
      await waitHostState(page, 'local-agent', 'online');
      await page.getByText('2 online').waitFor();
      await screenshot(page, 'hosts');
    } catch (err) {
      failWith(err);
    }
  });

  it('deploys 3 deckies (ssh + http) to the worker with the wizard; every row reaches succeeded', async () => {
    try {
      await goTo(page, 'Deckies');
      const res = await deployThroughWizard(page, {
        hostName: WORKER,
        count: 3,
        services: ['SSH', 'HTTP'],
        prefix: PREFIX,
        sshPassword: SSH_PASSWORD,
        shot: 'deckies-deploy-progress',
      });
      deckies = res.names;
      // The screenshot was taken right after Deploy: log what it caught (pending/running, or already done).
      console.log(`deploy wizard screenshot caught rows: ${res.statusesAtScreenshot.join(', ')}`);
      await screenshot(page, 'deckies-deploy-done');
      await dialog(page, 'Deploying').getByRole('button', { name: 'Close', exact: true }).last().click();
      for (const name of deckies) {
        const row = deckyRow(page, name);
        await row.getByText(WORKER, { exact: true }).waitFor();
        await row.locator('.badge', { hasText: 'running' }).waitFor();
      }
      await screenshot(page, 'deckies');
    } catch (err) {
      failWith(err);
    }
  });

  it('mutates one decky: dry-run preview before/after, apply, succeeded, service reachable', async () => {
    try {
      const target = deckies[1]!;
      await mutateThroughDialog(page, {
        decky: target,
        add: 'Telnet',
        addName: 'telnet',
        before: ['ssh', 'http'],
        shot: 'deckies-mutate-preview',
      });
      const ip = await deckyIp(page, target);
      // The new service really listens: telnetd opens with IAC option negotiation on port 23.
      const first = await new Promise<Buffer>((resolve, reject) => {
        const s = createConnection({ host: ip, port: 23 });
        s.once('data', (b: Buffer) => {
          s.destroy();
          resolve(b);
        });
        s.once('error', reject);
        s.setTimeout(10_000, () => s.destroy(new Error('no telnet greeting within 10 s')));
      });
      expect(first[0]).toBe(0xff);
    } catch (err) {
      failWith(err);
    }
  });

  it('captures a real ssh login and a real curl request; both show on the Events page with the chart', async () => {
    try {
      const target = deckies[0]!;
      const ip = await deckyIp(page, target);
      const ssh = await sshLogin(tmp.dir, ip, SSH_PASSWORD, 'uname -a');
      expect(ssh.code, ssh.stderr).toBe(0);
      expect(ssh.stdout).toMatch(/Linux/);
      const http = await curl(`http://${ip}/admin/login.php`);
      expect(http.status).toMatch(/^[2-4]\d\d$/);

      await goTo(page, 'Events');
      const cred = await waitEventRow(page, target, `root : ${SSH_PASSWORD}`);
      expect(await cred.innerText()).toContain('ssh');
      await waitEventRow(page, target, 'root $ uname -a');
      await waitEventRow(page, target, 'GET /admin/login.php');
      const chart = page.locator('figure.chart');
      await chart.locator('svg rect').first().waitFor();
      expect(await chart.locator('svg rect').count()).toBeGreaterThan(0);
      await chart.locator('.legend-item', { hasText: 'ssh' }).waitFor();
      await chart.locator('.legend-item', { hasText: 'http' }).waitFor();
      await screenshot(page, 'events');
    } catch (err) {
      failWith(err);
    }
  });

  it('creates a small topology through the form and shows it', async () => {
    try {
      await goTo(page, 'Topologies');
      const ip = loopbackBlock();
      const subnet = ip(0).replace(/\.0$/, '.0/24');
      const row = await createTopologyThroughForm(page, { name: 'e2e-branch', subnet, deckyIp: ip(10) });
      await row.getByText('1', { exact: true }).first().waitFor(); // 1 LAN, 1 decky
      await row.getByRole('button', { name: /Manage/ }).click();
      await page.getByText('Not applied to any host yet.').waitFor();
      // Apply it to the embedded local host: the agent reports the applied hash back.
      await page.getByLabel('Target host').selectOption({ label: 'local-agent (online)' });
      await page.getByRole('button', { name: 'Apply', exact: true }).click();
      await page.getByText(/^Applied version [0-9a-f]{12}$/).waitFor({ timeout: 60_000 });
      await page.getByText('in sync').waitFor({ timeout: 30_000 });
      await row.locator('.badge', { hasText: 'active' }).waitFor({ timeout: 30_000 });
      await screenshot(page, 'topologies');
    } catch (err) {
      failWith(err);
    }
  });

  it('shows the settings with a safe binding', async () => {
    await goTo(page, 'Settings');
    await page.getByText('The console API binding is safe.').waitFor();
    await page.getByText(`127.0.0.1:${swarmPort}`).waitFor();
    expect(await page.getByText('skipped under the test runner').count()).toBe(0);
    await screenshot(page, 'settings');
  });

  it('decommissions the worker with the two-step confirm: it disappears, its agent exits, the reaper wipes its install', async () => {
    try {
      await goTo(page, 'Hosts');
      decommissioned = true;
      const text = await decommissionThroughDialog(page, WORKER);
      expect(text).toContain('The agent wiped itself.');
      await screenshot(page, 'hosts-after-decommission');
      await eventually(() => !worker!.alive(), { timeoutMs: 30_000, what: 'worker agent exited' });
      expect(await worker!.exited).toBe(0);
      const log = await waitReaperWipe(installRoot);
      expect(log).toContain(`agent pid ${worker!.child.pid} has exited; wiping`);
      expect(existsSync(join(installRoot, 'var/lib/decnet/state.json'))).toBe(false);
      // Its deckies went with it; the local host stays.
      await waitHostState(page, 'local-agent', 'online');
      await goTo(page, 'Deckies');
      for (const name of deckies) await deckyRow(page, name).waitFor({ state: 'detached' });
      expect(pageErrors).toEqual([]);
    } catch (err) {
      failWith(err);
    }
  });
});

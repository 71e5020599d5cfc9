// Desktop end-to-end journey: Playwright's _electron launches the real console (out/electron/main.js,
// which embeds the master and its local agent; no login over IPC) and drives the same core flow as
// the browser suite: enroll a real agent with the page's join command, deploy, mutate, capture a real
// ssh login on the Events page, topologies, decommission with the reaper. Runs only where an Electron
// binary and a display exist; otherwise it is skipped with the reason printed.
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { _electron, type ElectronApplication, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../helpers/eventually';
import { makeTmpDir } from '../helpers/tmp-dir';
import { freePort, loopbackBlock } from '../integration/master/harness';
import {
  REPO_ROOT,
  type Proc,
  buildAll,
  createTopologyThroughForm,
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
  waitEventRow,
  waitHostState,
  waitReaperWipe,
} from './console-flow';

/** The Electron binary `require('electron')` names, or why there is none. */
function findElectron(): { path: string } | { reason: string } {
  let path: string;
  try {
    // The package throws when its binary was never downloaded (npm ci does not download it here).
    path = createRequire(import.meta.url)('electron') as string;
  } catch {
    return { reason: 'Electron binary not installed: skipped (node_modules/electron has no dist/; its download is disabled in package.json)' };
  }
  if (typeof path !== 'string' || !existsSync(path)) return { reason: `Electron binary not installed: skipped (${String(path)} does not exist)` };
  if (process.platform === 'linux' && !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY) {
    return { reason: 'Electron binary present but no display (DISPLAY/WAYLAND_DISPLAY unset): skipped; run under xvfb-run to include it' };
  }
  return { path };
}

const electron = findElectron();
const electronAvailable = 'path' in electron;
if (!electronAvailable) console.log(`electron e2e: ${electron.reason}`);

const WORKER = 'desk-worker';
const SSH_PASSWORD = 'e2e-Desk-Pass';

describe.skipIf(!electronAvailable)('desktop console (Electron, embedded master, real agents)', () => {
  let tmp: { dir: string; remove: () => Promise<void> };
  let app: ElectronApplication | undefined;
  let page: Page;
  let worker: Proc | undefined;
  let swarmPort = 0;
  let agentPort = 0;
  let workerIp = '';
  let installRoot = '';
  let deckies: string[] = [];
  let decommissioned = false;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    if (!('path' in electron)) return;
    await buildAll();
    tmp = await makeTmpDir('decnet-e2e-electron-');
    workerIp = loopbackBlock()(10);
    installRoot = join(tmp.dir, 'worker-root');
    await mkdir(installRoot, { recursive: true });
    swarmPort = await freePort();
    agentPort = await freePort();
    const env = Object.fromEntries(Object.entries(process.env).filter((e): e is [string, string] => e[1] !== undefined && !e[0].startsWith('VITEST')));
    app = await _electron.launch({
      executablePath: electron.path,
      // Chromium refuses its sandbox as root (CI runs as root); the renderer stays sandboxed otherwise.
      args: [...(process.getuid?.() === 0 ? ['--no-sandbox'] : []), join(REPO_ROOT, 'out/electron/main.js')],
      cwd: REPO_ROOT,
      env: {
        ...env,
        DECNET_DATA_DIR: join(tmp.dir, 'console-data'),
        XDG_CONFIG_HOME: join(tmp.dir, 'config'), // Electron's userData (logs) inside the temp dir
        DECNET_SWARM_HOST: '127.0.0.1',
        DECNET_SWARM_PORT: String(swarmPort),
        DECNET_AGENT_PORT: String(agentPort),
        DECNET_HEARTBEAT_INTERVAL_S: '1',
      },
      timeout: 60_000,
    });
    page = await app.firstWindow({ timeout: 60_000 });
    page.setDefaultTimeout(30_000);
    page.on('pageerror', (e) => pageErrors.push(String(e)));
    await page.getByRole('heading', { level: 1, name: 'Hosts' }).waitFor();
  });

  afterAll(async () => {
    // Quitting runs the shell's will-quit handler: master.stop() stops the local agent too.
    await app?.close().catch(() => undefined);
    await worker?.stop();
    if (decommissioned) await waitReaperWipe(installRoot).catch(() => undefined);
    await tmp?.remove();
  });

  it('opens on Hosts without a login, with the local host online and a desktop session', async () => {
    expect(await page.locator('.login-card').count()).toBe(0);
    await page.getByText('Desktop console').waitFor();
    await waitHostState(page, 'local-agent', 'online');
  });

  it('enrolls a worker with the join command the window shows and sees it come online', async () => {
    const { command, hostUuid } = await enrollThroughWizard(page, WORKER, workerIp);
    expect(command).toContain(`--master https://127.0.0.1:${swarmPort} `);
    expect(command).toContain(`--address ${workerIp}`);
    const identityDir = join(installRoot, 'etc/decnet/agent');
    expect(await runJoinCommand(command, identityDir)).toContain(`(host ${hostUuid})`);
    await dialog(page, 'Enroll host').getByRole('button', { name: 'Done' }).click();
    worker = runAgent({ identityDir, stateDir: join(installRoot, 'var/lib/decnet'), ip: workerIp, port: agentPort, installRoot });
    await waitHostState(page, WORKER, 'online', 40_000);
    await hostRow(page, WORKER).getByText(`${workerIp}:${agentPort}`).waitFor();
    await screenshot(page, 'electron-hosts');
  });

  it('deploys 3 deckies with the wizard, every row succeeded, then mutates one', async () => {
    await goTo(page, 'Deckies');
    const res = await deployThroughWizard(page, { hostName: WORKER, count: 3, services: ['SSH', 'HTTP'], prefix: 'desk', sshPassword: SSH_PASSWORD, shot: 'electron-deckies-deploy-progress' });
    deckies = res.names;
    await dialog(page, 'Deploying').getByRole('button', { name: 'Close', exact: true }).last().click();
    for (const name of deckies) await deckyRow(page, name).locator('.badge', { hasText: 'running' }).waitFor();
    await mutateThroughDialog(page, { decky: deckies[1]!, add: 'Telnet', addName: 'telnet', before: ['ssh', 'http'] });
    await screenshot(page, 'electron-deckies');
  });

  it('shows a real ssh login with its credentials on the Events page, with the chart', async () => {
    const target = deckies[0]!;
    const ip = await deckyIp(page, target);
    const ssh = await sshLogin(tmp.dir, ip, SSH_PASSWORD, 'id');
    expect(ssh.code, ssh.stderr).toBe(0);
    await goTo(page, 'Events');
    await waitEventRow(page, target, `root : ${SSH_PASSWORD}`);
    await waitEventRow(page, target, 'root $ id');
    await page.locator('figure.chart svg rect').first().waitFor();
    await screenshot(page, 'electron-events');
  });

  it('creates a topology and shows the settings', async () => {
    await goTo(page, 'Topologies');
    const ip = loopbackBlock();
    await createTopologyThroughForm(page, { name: 'desk-branch', subnet: ip(0).replace(/\.0$/, '.0/24'), deckyIp: ip(10) });
    await goTo(page, 'Settings');
    await page.getByText(`127.0.0.1:${swarmPort}`).waitFor();
    await page.getByText('off (desktop IPC only)').waitFor();
  });

  it('decommissions the worker: it disappears, its agent exits, the reaper wipes its install', async () => {
    await goTo(page, 'Hosts');
    decommissioned = true;
    expect(await decommissionThroughDialog(page, WORKER)).toContain('The agent wiped itself.');
    await eventually(() => !worker!.alive(), { timeoutMs: 30_000, what: 'worker agent exited' });
    expect(await worker!.exited).toBe(0);
    await waitReaperWipe(installRoot);
    expect(pageErrors).toEqual([]);
  });
});

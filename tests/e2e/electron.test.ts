// Desktop end-to-end journey: Playwright's _electron launches the real console (out/electron/main.js,
// which embeds the master and its local agent; no login over IPC) and drives the same core flow as
// the browser suite: enroll a real agent with the page's join command, deploy, mutate, capture a real
// ssh login on the Events page, topologies, decommission with the reaper; plus the desktop-only parts:
// the embedded local agent (Electron-as-Node) starts and a decky deploys on it, a security alert raises
// a native notification, and quitting then restarting the app keeps the local deckies (issue 13b).
// Runs only where an Electron binary and a display exist; otherwise it is skipped with the reason printed.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { connect } from 'node:net';
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
    return {
      reason:
        'Electron binary not installed: skipped (node_modules/electron has no dist/; its download is disabled in package.json)',
    };
  }
  if (typeof path !== 'string' || !existsSync(path))
    return { reason: `Electron binary not installed: skipped (${String(path)} does not exist)` };
  if (process.platform === 'linux' && !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY) {
    return {
      reason:
        'Electron binary present but no display (DISPLAY/WAYLAND_DISPLAY unset): skipped; run under xvfb-run to include it',
    };
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
  let localDecky = '';

  /** Launches the console on this test's data dir (same env on a restart). */
  const launchConsole = (): Promise<ElectronApplication> => {
    if (!('path' in electron)) throw new Error('no Electron');
    const env = Object.fromEntries(
      Object.entries(process.env).filter(
        (e): e is [string, string] => e[1] !== undefined && !e[0].startsWith('VITEST'),
      ),
    );
    return _electron.launch({
      executablePath: electron.path,
      // Chromium refuses its sandbox as root (CI runs as root); the renderer stays sandboxed otherwise.
      args: [...(process.getuid?.() === 0 ? ['--no-sandbox'] : []), join(REPO_ROOT, 'out/electron/main.js')],
      cwd: REPO_ROOT,
      env: {
        ...env,
        DECNET_DATA_DIR: join(tmp.dir, 'console-data'),
        XDG_CONFIG_HOME: join(tmp.dir, 'config'), // Electron's userData (logs, window state) inside the temp dir
        DECNET_SWARM_HOST: '127.0.0.1',
        DECNET_SWARM_PORT: String(swarmPort),
        DECNET_AGENT_PORT: String(agentPort),
        DECNET_HEARTBEAT_INTERVAL_S: '1',
      },
      timeout: 60_000,
    });
  };

  const firstPage = async (a: ElectronApplication): Promise<Page> => {
    const p = await a.firstWindow({ timeout: 60_000 });
    p.setDefaultTimeout(30_000);
    p.on('pageerror', (e) => pageErrors.push(String(e)));
    await p.getByRole('heading', { level: 1, name: 'Hosts' }).waitFor();
    return p;
  };

  /** Records every native notification the main process shows (the real one is still shown). */
  const spyNotifications = (a: ElectronApplication) =>
    a.evaluate(({ Notification }) => {
      const g = globalThis as unknown as { shown?: Array<{ title: string; body: string }> };
      g.shown = [];
      // eslint-disable-next-line @typescript-eslint/unbound-method -- called below with the instance as this
      const show = Notification.prototype.show;
      Notification.prototype.show = function (this: InstanceType<typeof Notification>) {
        g.shown!.push({ title: this.title, body: this.body });
        return show.call(this);
      };
    });
  const shownNotifications = (a: ElectronApplication) =>
    a.evaluate(() => (globalThis as unknown as { shown?: Array<{ title: string; body: string }> }).shown ?? []);

  beforeAll(async () => {
    if (!('path' in electron)) return;
    await buildAll();
    tmp = await makeTmpDir('decnet-e2e-electron-');
    workerIp = loopbackBlock()(10);
    installRoot = join(tmp.dir, 'worker-root');
    await mkdir(installRoot, { recursive: true });
    swarmPort = await freePort();
    agentPort = await freePort();
    app = await launchConsole();
    page = await firstPage(app);
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

  it('the embedded local agent (Electron-as-Node child) runs a decky deployed on it', async () => {
    // The local agent is a child of the Electron main process, run as Node with the agent bundle.
    const mainPid = await app!.evaluate(() => process.pid);
    const agent = await eventually(
      () => childProcesses(mainPid).find((c) => c.cmdline.some((a) => a.endsWith('/out/agent/cli.js'))),
      { what: 'local agent child' },
    );
    expect(agent.environ).toContain('ELECTRON_RUN_AS_NODE=1');
    await goTo(page, 'Deckies');
    const res = await deployThroughWizard(page, {
      hostName: 'local-agent',
      count: 1,
      services: ['SSH'],
      prefix: 'local',
      sshPassword: SSH_PASSWORD,
    });
    localDecky = res.names[0]!;
    await dialog(page, 'Deploying').getByRole('button', { name: 'Close', exact: true }).last().click();
    await deckyRow(page, localDecky).locator('.badge', { hasText: 'running' }).waitFor();
    const ssh = await sshLogin(tmp.dir, await deckyIp(page, localDecky), SSH_PASSWORD, 'id');
    expect(ssh.code, ssh.stderr).toBe(0);
    await goTo(page, 'Hosts');
  });

  it('enrolls a worker with the join command the window shows and sees it come online', async () => {
    const { command, hostUuid } = await enrollThroughWizard(page, WORKER, workerIp);
    expect(command).toContain(`--master https://127.0.0.1:${swarmPort} `);
    expect(command).toContain(`--address ${workerIp}`);
    const identityDir = join(installRoot, 'etc/decnet/agent');
    expect(await runJoinCommand(command, identityDir)).toContain(`(host ${hostUuid})`);
    await dialog(page, 'Enroll host').getByRole('button', { name: 'Done' }).click();
    worker = runAgent({
      identityDir,
      stateDir: join(installRoot, 'var/lib/decnet'),
      ip: workerIp,
      port: agentPort,
      installRoot,
    });
    await waitHostState(page, WORKER, 'online', 40_000);
    await hostRow(page, WORKER).getByText(`${workerIp}:${agentPort}`).waitFor();
    await screenshot(page, 'electron-hosts');
  });

  it('deploys 3 deckies with the wizard, every row succeeded, then mutates one', async () => {
    await goTo(page, 'Deckies');
    const res = await deployThroughWizard(page, {
      hostName: WORKER,
      count: 3,
      services: ['SSH', 'HTTP'],
      prefix: 'desk',
      sshPassword: SSH_PASSWORD,
      shot: 'electron-deckies-deploy-progress',
    });
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
    await createTopologyThroughForm(page, {
      name: 'desk-branch',
      subnet: ip(0).replace(/\.0$/, '.0/24'),
      deckyIp: ip(10),
    });
    await goTo(page, 'Settings');
    await page.getByText(`127.0.0.1:${swarmPort}`).waitFor();
    await page.getByText('off (desktop IPC only)').waitFor();
  });

  it('a security alert (an impostor answers on the worker address) raises a native notification', async () => {
    await spyNotifications(app!);
    // A second enrolled identity on the worker's ip:port: the master's pinned fingerprint no longer matches.
    const { command } = await enrollThroughWizard(page, 'desk-impostor', workerIp);
    const impostorDir = join(tmp.dir, 'impostor');
    await runJoinCommand(command, join(impostorDir, 'identity'));
    await dialog(page, 'Enroll host').getByRole('button', { name: 'Done' }).click();
    await worker!.stop();
    const impostor = runAgent({
      identityDir: join(impostorDir, 'identity'),
      stateDir: join(impostorDir, 'state'),
      ip: workerIp,
      port: agentPort,
      installRoot: impostorDir,
    });
    try {
      await waitHostState(page, 'desk-impostor', 'online', 40_000);
      const r = await page.evaluate(
        (name) =>
          (window as unknown as { decnet: { invoke(c: string, i: unknown): Promise<unknown> } }).decnet.invoke(
            'deckies.teardown',
            { deckyName: name },
          ),
        deckies[2]!,
      );
      expect(r).toMatchObject({ ok: true });
      const shown = await eventually(
        async () => (await shownNotifications(app!)).find((n) => n.title === 'DECNET alert: fingerprint-mismatch'),
        { timeoutMs: 30_000, what: 'alert notification' },
      );
      expect(shown.body).toContain(workerIp);
    } finally {
      await impostor.stop();
    }
    const identityDir = join(installRoot, 'etc/decnet/agent');
    worker = runAgent({
      identityDir,
      stateDir: join(installRoot, 'var/lib/decnet'),
      ip: workerIp,
      port: agentPort,
      installRoot,
    });
    await waitHostState(page, WORKER, 'online', 40_000);
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
  // Needs 13b (local deckies outlive the agent and the console; re-attached on the next start).
  it('quit and restart keep the local deckies: the decky answers throughout and is running again', async () => {
    const ip = await (async () => {
      await goTo(page, 'Deckies');
      return deckyIp(page, localDecky);
    })();
    await app!.close();
    app = undefined;
    expect(await tcpOpen(ip, 22)).toBe(true);
    app = await launchConsole();
    page = await firstPage(app);
    await waitHostState(page, 'local-agent', 'online');
    await goTo(page, 'Deckies');
    await deckyRow(page, localDecky).locator('.badge', { hasText: 'running' }).waitFor();
    const ssh = await sshLogin(tmp.dir, ip, SSH_PASSWORD, 'id');
    expect(ssh.code, ssh.stderr).toBe(0);
    expect(pageErrors).toEqual([]);
  });
});

/** Direct children of `ppid` with their argv and environment (Linux /proc). */
function childProcesses(ppid: number): Array<{ pid: number; cmdline: string[]; environ: string[] }> {
  const out: Array<{ pid: number; cmdline: string[]; environ: string[] }> = [];
  for (const name of readdirSync('/proc').filter((n) => /^\d+$/.test(n))) {
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) !== ppid) continue;
      const split = (f: string) => readFileSync(`/proc/${name}/${f}`, 'utf8').split('\0').filter(Boolean);
      out.push({ pid: Number(name), cmdline: split('cmdline'), environ: split('environ') });
    } catch {
      // Gone meanwhile.
    }
  }
  return out;
}

function tcpOpen(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host, port, timeout: 5000 });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
    s.once('timeout', () => {
      s.destroy();
      resolve(false);
    });
  });
}

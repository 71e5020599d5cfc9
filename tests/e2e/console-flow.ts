// The console journey shared by the browser (console.test.ts) and Electron (electron.test.ts) e2e
// suites: every step drives the real UI through a Playwright Page, and every wait is a poll with a
// deadline (Playwright's auto-waiting locators or tests/helpers/eventually), never a sleep.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import type { Locator, Page } from 'playwright-core';
import { expect } from 'vitest';
import { eventually } from '../helpers/eventually';
import { sshPasswordFlags } from '../helpers/ssh-client';

const execFileP = promisify(execFile);

export const REPO_ROOT = resolve(import.meta.dirname, '..', '..');
export const AGENT_CLI = join(REPO_ROOT, 'out', 'agent', 'cli.js');
export const MASTER_CLI = join(REPO_ROOT, 'out', 'main', 'cli.js');
export const SCREENSHOT_DIR = join(REPO_ROOT, 'test-results', 'screenshots');
const UI_TIMEOUT = 30_000;

/** Builds out/ including the renderer (Vite): the e2e suites serve and load the real bundle. */
export async function buildAll(): Promise<void> {
  await execFileP(process.execPath, ['scripts/build.mjs'], { cwd: REPO_ROOT, timeout: 110_000 });
  for (const f of ['out/main/cli.js', 'out/agent/cli.js', 'out/renderer/index.html', 'out/electron/main.js']) {
    if (!existsSync(join(REPO_ROOT, f))) throw new Error(`build did not produce ${f}`);
  }
}

/** A child process whose output is kept for failure messages, and that can be stopped politely. */
export type Proc = {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
  alive: () => boolean;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once the process has exited. */
  stop: (graceMs?: number) => Promise<void>;
};

export function startProc(cmd: string, args: string[], env: NodeJS.ProcessEnv): Proc {
  const child = spawn(cmd, args, { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout?.on('data', (b: Buffer) => (out = (out + b.toString()).slice(-200_000)));
  child.stderr?.on('data', (b: Buffer) => (out = (out + b.toString()).slice(-200_000)));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const alive = (): boolean => child.exitCode === null && child.signalCode === null;
  return {
    child,
    output: () => out,
    exited,
    alive,
    stop: async (graceMs = 15_000) => {
      if (!alive()) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => alive() && child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Saves a full-window screenshot under test-results/screenshots/<name>.png. */
export async function screenshot(page: Page, name: string): Promise<string> {
  await mkdir(SCREENSHOT_DIR, { recursive: true });
  const path = join(SCREENSHOT_DIR, `${name}.png`);
  await page.screenshot({ path });
  return path;
}

export async function goTo(
  page: Page,
  label: 'Hosts' | 'Deckies' | 'Topologies' | 'Events' | 'Settings',
): Promise<void> {
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: label }).click();
  await page.getByRole('heading', { level: 1, name: label }).waitFor({ timeout: UI_TIMEOUT });
}

export function dialog(page: Page, title: string | RegExp): Locator {
  return page.getByRole('dialog', { name: title });
}

/** The Hosts table row of `name`. */
export function hostRow(page: Page, name: string): Locator {
  return page
    .getByRole('row')
    .filter({ has: page.locator('.cell-title', { hasText: new RegExp(`^${name}(local)?$`) }) });
}

/** Waits until the host row shows the liveness badge `state` (pushed by hosts.changed, or the page's poll). */
export async function waitHostState(
  page: Page,
  name: string,
  state: 'online' | 'offline' | 'suspect',
  timeout = UI_TIMEOUT,
): Promise<void> {
  await hostRow(page, name).locator('.badge', { hasText: state }).waitFor({ timeout });
}

/** Opens the Enroll wizard, asks for a join command for `name`/`address` and returns the command text the page shows. */
export async function enrollThroughWizard(
  page: Page,
  name: string,
  address: string,
): Promise<{ command: string; hostUuid: string }> {
  await page.getByRole('button', { name: 'Enroll host' }).first().click();
  const d = dialog(page, 'Enroll host');
  await d.getByLabel('Host name').fill(name);
  await d.getByLabel(/^Address/).fill(address);
  await d.getByRole('button', { name: 'Generate join command' }).click();
  const code = d.locator('.codebox code');
  await code.waitFor({ timeout: UI_TIMEOUT });
  await d.getByText(/Expires in/).waitFor();
  const command = (await code.innerText()).trim();
  const hostUuid = (await d.locator('.kv code').innerText()).trim();
  return { command, hostUuid };
}

/**
 * Runs the join command exactly as the page shows it with the built agent CLI: `decnet-agent` is
 * `node out/agent/cli.js` in a repo build; only `--dir` (a temp identity dir) is appended.
 */
export async function runJoinCommand(command: string, identityDir: string): Promise<string> {
  const words = command.split(/\s+/);
  expect(words[0]).toBe('decnet-agent');
  expect(words[1]).toBe('enroll');
  const { stdout } = await execFileP(process.execPath, [AGENT_CLI, ...words.slice(1), '--dir', identityDir], {
    timeout: 30_000,
  });
  return stdout;
}

/** `decnet-agent run` for an enrolled identity, listening on `ip:port` with the loopback network driver. */
export function runAgent(o: {
  identityDir: string;
  stateDir: string;
  ip: string;
  port: number;
  installRoot: string;
}): Proc {
  return startProc(
    process.execPath,
    [
      AGENT_CLI,
      'run',
      '--dir',
      o.identityDir,
      '--state-dir',
      o.stateDir,
      '--listen',
      `${o.ip}:${o.port}`,
      '--network',
      'loopback',
    ],
    { ...process.env, DECNET_HEARTBEAT_INTERVAL_S: '1', DECNET_LOG_LEVEL: 'info', DECNET_INSTALL_ROOT: o.installRoot },
  );
}

export type DeployResult = { names: string[]; statusesAtScreenshot: string[] };

/**
 * Deploy wizard: target host, count, hand-picked services, name prefix, mutation, preview, deploy. Takes the
 * mid-progress screenshot right after clicking Deploy (rows still pending/running), then waits for
 * every row of the wizard's progress list to reach succeeded.
 */
export async function deployThroughWizard(
  page: Page,
  o: { hostName: string; count: number; services: string[]; prefix: string; sshPassword?: string; shot?: string },
): Promise<DeployResult> {
  await page.getByRole('button', { name: 'Deploy deckies' }).first().click();
  const d = dialog(page, 'Deploy deckies');
  await d.getByRole('radio', { name: new RegExp(o.hostName) }).check();
  await d.getByLabel('Number of deckies').fill(String(o.count));
  await d.getByRole('button', { name: 'Next' }).click();
  await d.getByRole('tab', { name: 'Services' }).click();
  for (const s of o.services) {
    const chip = d.getByRole('button', { name: new RegExp(`^${s}\\s*\\d`) });
    await chip.click();
    await expect.poll(() => chip.getAttribute('aria-pressed')).toBe('true');
  }
  await d.getByRole('button', { name: 'Next' }).click();
  await d.getByLabel('Names').fill(o.prefix);
  if (o.sshPassword) {
    await d.locator('details.persona summary', { hasText: 'SSH' }).click();
    await d.getByLabel('users', { exact: true }).fill(`root:${o.sshPassword}`);
  }
  await d.getByRole('button', { name: 'Next' }).click();
  // Periodic mutation is on by default, through the fleet default.
  await expect.poll(() => d.getByRole('radio', { name: /Follow the fleet default/ }).isChecked()).toBe(true);
  await d.getByRole('button', { name: 'Preview' }).click();
  await d.getByText(/will be deployed/).waitFor({ timeout: UI_TIMEOUT });
  const planned = await d.locator('tbody tr td:first-child').allInnerTexts();
  expect(planned).toHaveLength(o.count);
  for (const n of planned) expect(n).toMatch(new RegExp(`^${o.prefix}-\\d+$`));
  await d.getByRole('button', { name: `Deploy ${o.count}` }).click();

  const progress = dialog(page, 'Deploying').getByRole('list', { name: 'Per-decky progress' });
  await progress
    .getByRole('listitem')
    .nth(o.count - 1)
    .waitFor({ timeout: UI_TIMEOUT });
  const statusesAtScreenshot = await progress
    .getByRole('listitem')
    .evaluateAll((els) => els.map((e) => e.getAttribute('data-status') ?? '?'));
  if (o.shot) await screenshot(page, o.shot);

  await progress
    .locator('li[data-status="succeeded"]')
    .nth(o.count - 1)
    .waitFor({ timeout: 90_000 });
  const rows = await progress
    .getByRole('listitem')
    .evaluateAll((els) => els.map((e) => ({ status: e.getAttribute('data-status'), text: e.textContent ?? '' })));
  expect(rows.map((r) => r.status)).toEqual(Array(o.count).fill('succeeded'));
  for (const r of rows) expect(r.text).toContain('succeeded');
  const names = await progress.locator('.progress-name').allInnerTexts();
  expect([...names].sort()).toEqual([...planned].sort());
  return { names: planned, statusesAtScreenshot };
}

/** The Deckies table row of `name` (a virtualised grid with table roles). */
export function deckyRow(page: Page, name: string): Locator {
  return page
    .getByRole('table', { name: 'Deckies' })
    .getByRole('row')
    .filter({ has: page.getByText(name, { exact: true }) });
}

/** Reads a decky's IP from its row on the Deckies page. */
export async function deckyIp(page: Page, name: string): Promise<string> {
  const text = await deckyRow(page, name).getByRole('cell').nth(2).innerText();
  expect(text.trim()).toMatch(/^127\.\d+\.\d+\.\d+$/);
  return text.trim();
}

/** Mutate dialog: toggle `add` on, dry-run preview (before/after diff), apply, progress row succeeded. */
export async function mutateThroughDialog(
  page: Page,
  o: { decky: string; add: string; addName: string; before: string[]; shot?: string },
): Promise<void> {
  await deckyRow(page, o.decky).getByRole('button', { name: 'Mutate' }).click();
  const d = dialog(page, `Mutate ${o.decky}`);
  await d.getByRole('button', { name: new RegExp(`^${o.add}\\s*\\d`) }).click();
  await d.getByRole('button', { name: 'Preview change' }).click();
  await d.getByText(/Dry run accepted/).waitFor({ timeout: UI_TIMEOUT });
  const diff = d.getByLabel('Service changes');
  const chips = (await diff.locator('.chip').allInnerTexts()).map((t) => t.trim());
  expect(chips).toEqual([...o.before, `+ ${o.addName}`]);
  await expect.poll(() => diff.locator('.chip-add').innerText()).toBe(`+ ${o.addName}`);
  expect(await diff.locator('.chip-keep').count()).toBe(o.before.length);
  if (o.shot) await screenshot(page, o.shot);
  await d.getByRole('button', { name: 'Apply' }).click();
  const progress = dialog(page, `Mutating ${o.decky}`).getByRole('list', { name: 'Per-decky progress' });
  await progress.locator('li[data-status="succeeded"]').waitFor({ timeout: 60_000 });
  expect(await progress.locator('li').innerText()).toContain('mutate');
  await dialog(page, `Mutating ${o.decky}`).getByRole('button', { name: 'Close', exact: true }).last().click();
  // The committed service list shows in the table once the delta says succeeded.
  await deckyRow(page, o.decky).getByText(o.addName, { exact: true }).waitFor({ timeout: UI_TIMEOUT });
}

/** A real OpenSSH client tries `root` with `password` against `ip:22`, the password fed by SSH_ASKPASS. */
export async function sshLogin(
  tmpDir: string,
  ip: string,
  password: string,
  command: string,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const askpass = join(tmpDir, 'askpass.sh');
  await writeFile(askpass, `#!/bin/sh\nprintf '%s\\n' '${password}'\n`);
  await chmod(askpass, 0o700);
  const args = [...sshPasswordFlags, `root@${ip}`, command];
  return new Promise((resolvePromise, reject) => {
    const child = spawn('ssh', args, {
      env: { ...process.env, SSH_ASKPASS: askpass, SSH_ASKPASS_REQUIRE: 'force', DISPLAY: ':0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolvePromise({ code, stdout, stderr });
    });
  });
}

/** A real curl GET against the decky's HTTP service. */
export async function curl(url: string): Promise<{ status: string; body: string }> {
  const { stdout } = await execFileP('curl', [
    '-sS',
    '--max-time',
    '10',
    '--noproxy',
    '*',
    '-A',
    'Mozilla/5.0 (e2e)',
    '-w',
    '\n%{http_code}',
    url,
  ]);
  const i = stdout.lastIndexOf('\n');
  return { status: stdout.slice(i + 1), body: stdout.slice(0, i) };
}

/** Waits for an Events table row of `decky` whose credentials column reads `summary`. */
export async function waitEventRow(page: Page, decky: string, summary: string): Promise<Locator> {
  const row = page
    .getByRole('table', { name: 'Captured events' })
    .getByRole('row')
    .filter({ has: page.getByText(decky, { exact: true }) })
    .filter({ has: page.getByText(summary, { exact: true }) });
  await row.first().waitFor({ timeout: 60_000 });
  return row.first();
}

/** New topology form: name, one LAN on a 127.x /24, one decky on it; returns once the row is listed. */
export async function createTopologyThroughForm(
  page: Page,
  o: { name: string; subnet: string; deckyIp: string },
): Promise<Locator> {
  await page.getByRole('button', { name: 'New topology' }).first().click();
  const d = dialog(page, 'New topology');
  await d.getByLabel('Name', { exact: true }).fill(o.name);
  await d.getByLabel('LAN 1 subnet').fill(o.subnet);
  await d.getByRole('button', { name: 'Remove LAN lan-1' }).click();
  await d.getByLabel('node-01 address on dmz').fill(o.deckyIp);
  await d.getByRole('button', { name: 'Create topology' }).click();
  await d.waitFor({ state: 'detached', timeout: UI_TIMEOUT });
  const row = page.getByRole('row').filter({ has: page.getByText(o.name, { exact: true }) });
  await row.waitFor({ timeout: UI_TIMEOUT });
  return row;
}

/** Two-step decommission: read the warning, Continue, type the name, confirm; returns the result dialog's text. */
export async function decommissionThroughDialog(page: Page, name: string): Promise<string> {
  await hostRow(page, name).getByRole('button', { name: 'Decommission' }).click();
  const d = dialog(page, `Decommission ${name}`);
  await d.getByText('Step 1 of 2').waitFor();
  await d.getByRole('button', { name: 'Continue' }).click();
  await d.getByText('Step 2 of 2').waitFor();
  const confirm = d.getByRole('button', { name: 'Decommission host' });
  expect(await confirm.isDisabled()).toBe(true);
  await d.getByLabel(`Type "${name}" to confirm`).fill(name);
  await confirm.click();
  const done = dialog(page, `${name} decommissioned`);
  await done.waitFor({ timeout: 60_000 });
  const text = await done.innerText();
  await done.getByRole('button', { name: 'Close', exact: true }).last().click();
  await hostRow(page, name).waitFor({ state: 'detached', timeout: UI_TIMEOUT });
  return text;
}

/** Polls until the reaper has wiped the worker's install under `root` and logged it. */
export async function waitReaperWipe(root: string): Promise<string> {
  return eventually(
    async () => {
      const log = await readFile(join(root, 'var/log/decnet/reaper.log'), 'utf8').catch(() => '');
      return log.includes('wipe done') && !existsSync(join(root, 'etc/decnet')) ? log : undefined;
    },
    { timeoutMs: 40_000, intervalMs: 200, what: 'reaper wiped the install root' },
  );
}

// A real headless console for the browser e2e suites: `node out/main/cli.js serve` with its
// embedded local agent on loopback ports, an admin session for the test's own RPC calls, and
// Debian's Chromium with every request off 127.0.0.1 aborted.
import { join } from 'node:path';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { eventually } from '../helpers/eventually';
import { freePort } from '../integration/master/harness';
import { MASTER_CLI, type Proc, startProc } from './console-flow';

export const CHROMIUM = '/usr/bin/chromium';

export type HeadlessConsole = {
  master: Proc;
  url: string;
  rpc: <T>(command: string, input: unknown) => Promise<T>;
};

/** Starts `serve` on `<dir>/data` and waits until its local agent is online. */
export async function startHeadlessConsole(dir: string, password: string): Promise<HeadlessConsole> {
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([k, v]) => !k.startsWith('VITEST') && !(k === 'NODE_ENV' && v === 'test')),
  );
  const [apiPort, swarmPort, agentPort] = [await freePort(), await freePort(), await freePort()];
  const args = ['serve', '--data', join(dir, 'data'), '--api-port', String(apiPort), '--swarm-port', String(swarmPort)];
  const master = startProc(process.execPath, [MASTER_CLI, ...args], {
    ...env,
    DECNET_API_HOST: '127.0.0.1',
    DECNET_SWARM_HOST: '127.0.0.1',
    DECNET_HEARTBEAT_INTERVAL_S: '1',
    DECNET_ADMIN_PASSWORD: password,
    DECNET_AGENT_PORT: String(agentPort),
  });
  const url = await eventually(() => /console API: (http:\/\/127\.0\.0\.1:\d+)/.exec(master.output())?.[1], {
    timeoutMs: 30_000,
    what: 'console API listening',
  });
  const login = await fetch(`${url}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'admin', password }),
  });
  const token = ((await login.json()) as { token: string }).token;
  const rpc = async <T>(command: string, input: unknown): Promise<T> => {
    const r = await fetch(`${url}/api/v1/rpc/${command}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify(input),
    });
    const body = (await r.json()) as { ok: boolean; value: T; error?: { message: string } };
    if (!body.ok) throw new Error(`${command}: ${body.error?.message ?? r.status}`);
    return body.value;
  };
  await eventually(
    async () => (await rpc<{ liveness: string }[]>('hosts.list', {})).some((h) => h.liveness === 'online') || undefined,
    { timeoutMs: 60_000, what: 'local agent online' },
  );
  return { master, url, rpc };
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update'],
  });
}

/** A browser context that reaches only the loopback console. */
export async function loopbackContext(browser: Browser): Promise<BrowserContext> {
  const ctx = await browser.newContext({ viewport: { width: 1440, height: 900 }, acceptDownloads: true });
  await ctx.route(/^(?!http:\/\/127\.0\.0\.1[:/])/, (route) => route.abort());
  ctx.setDefaultTimeout(30_000);
  return ctx;
}

/** Opens the console in `ctx` and signs in as admin; resolves on the Hosts page. */
export async function signIn(ctx: BrowserContext, url: string, password: string): Promise<Page> {
  const page = await ctx.newPage();
  await page.goto(url);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { level: 1, name: 'Hosts' }).waitFor();
  return page;
}

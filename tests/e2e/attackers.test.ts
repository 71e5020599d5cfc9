// Browser journey of the analyst's attacker view (issue #18): Debian's Chromium drives the real
// headless console (`node out/main/cli.js serve` with its embedded local agent); a real OpenSSH
// client and a raw HTTP client, from one source address, hit two real deckies. The Attackers page
// shows that source on both deckies, its timeline has the ssh session's login and commands, and
// the Events page's CSV and ECS NDJSON exports download exactly the filtered events, and a SIEM
// collector whose certificate the pinned CA did not sign is refused with the reason on the Settings
// page. Only 127.0.0.0/8 traffic.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, readFile, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { join } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../helpers/eventually';
import { mintCollectorPki, startTlsCollector } from '../helpers/tls-collector';
import { sshPasswordFlags } from '../helpers/ssh-client';
import { makeTmpDir } from '../helpers/tmp-dir';
import { freePort, loopbackBlock } from '../integration/master/harness';
import { MASTER_CLI, type Proc, buildAll, goTo, screenshot, startProc } from './console-flow';

const CHROMIUM = '/usr/bin/chromium';
const PASSWORD = 'e2e-attackers-password';
const ip = loopbackBlock();
const [WEB, FILES, ATTACKER] = [ip(21), ip(22), ip(50)];

describe.skipIf(!existsSync(CHROMIUM))('attacker view in the browser', () => {
  let tmp: Awaited<ReturnType<typeof makeTmpDir>>;
  let master: Proc | undefined;
  let browser: Browser | undefined;
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

  beforeAll(async () => {
    await buildAll();
    tmp = await makeTmpDir('decnet-e2e-attackers-');
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
      services: ['ssh', 'http'],
      serviceConfig: { ssh: { users: 'root:toor' } },
      deckies: [
        { name: 'e2e-att-web', ip: WEB },
        { name: 'e2e-att-files', ip: FILES },
      ],
    });
    await eventually(
      async () =>
        (await rpc<{ state: string }[]>('deckies.list', {})).filter((d) => d.state === 'running').length === 2 ||
        undefined,
      { timeoutMs: 90_000, what: 'both deckies running' },
    );
    // One source: an ssh session with two commands on one decky, a web request on the other.
    const askpass = join(tmp.dir, 'askpass');
    await writeFile(askpass, "#!/bin/sh\necho 'toor'\n");
    await chmod(askpass, 0o700);
    await new Promise((resolve) => {
      const c = spawn('ssh', [...sshPasswordFlags, '-T', '-o', `BindAddress=${ATTACKER}`, `root@${WEB}`], {
        env: { ...process.env, SSH_ASKPASS: askpass, SSH_ASKPASS_REQUIRE: 'force', DISPLAY: ':0' },
        stdio: ['pipe', 'ignore', 'ignore'],
      });
      c.stdin.end('uname -a\ncat /etc/passwd\nexit\n');
      c.on('exit', resolve);
    });
    await new Promise<void>((resolve, reject) => {
      const s = net.connect({ host: FILES, port: 80, localAddress: ATTACKER }, () =>
        s.end('GET /admin HTTP/1.0\r\n\r\n'),
      );
      s.on('data', () => undefined);
      s.on('close', () => resolve());
      s.on('error', reject);
    });
    await eventually(
      async () =>
        (await rpc<{ sources: { src: string; deckies: string[] }[] }>('sources.list', {})).sources.find(
          (s) => s.src === ATTACKER && s.deckies.length === 2,
        ),
      { timeoutMs: 30_000, what: 'the source on both deckies' },
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
  }, 240_000);

  let collector: Awaited<ReturnType<typeof startTlsCollector>> | undefined;

  afterAll(async () => {
    await browser?.close().catch(() => undefined);
    await collector?.stop();
    await master?.stop();
    await tmp?.remove();
  });

  it('lists the source on both deckies and opens its timeline with the ssh login and commands in order', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Attackers' }).click();
    const table = page.getByRole('table', { name: 'Attackers' });
    const row = table.getByRole('row').filter({ has: page.getByRole('button', { name: ATTACKER }) });
    await row.getByText('e2e-att-files, e2e-att-web').waitFor();
    await screenshot(page, 'attackers-list');
    await row.getByRole('button', { name: ATTACKER }).click();
    const session = page.getByRole('article', { name: /^Session .+ on e2e-att-web$/ }).filter({
      has: page.getByRole('list', { name: 'Commands' }),
    });
    const commands = session.getByRole('list', { name: 'Commands' }).getByRole('listitem');
    await expect.poll(() => commands.allTextContents()).toEqual(['$ uname -a', '$ cat /etc/passwd', '$ exit']);
    await expect(session.getByRole('list', { name: 'Credentials tried' }).textContent()).resolves.toContain(
      'root : toor ✓ accepted',
    );
    await page
      .getByRole('article', { name: /on e2e-att-files$/ })
      .first()
      .waitFor();
    await screenshot(page, 'attackers-timeline');
  });

  it("the Events page's CSV export downloads exactly the filtered events", async () => {
    await goTo(page, 'Events');
    await page.getByLabel('Source').fill(ATTACKER);
    await page.getByLabel('Source').press('Enter');
    await page.getByText(/captured \(filtered\)/).waitFor();
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Export CSV' }).click(),
    ]);
    const text = await readFile(await download.path(), 'utf8');
    const ids = text
      .split('\r\n')
      .slice(1)
      .filter(Boolean)
      .map((l) => l.split(',')[1]);
    const expected = await rpc<{ events: { id: string }[] }>('events.list', {
      src: ATTACKER,
      since: new Date(Date.now() - 86_400_000).toISOString(),
      limit: 5000,
    });
    expect(ids).toEqual(expected.events.map((e) => e.id));
    expect(download.suggestedFilename()).toMatch(/^decnet-events-.+\.csv$/);
  });

  it("the Events page's NDJSON export downloads the same events in ECS field names", async () => {
    await goTo(page, 'Events');
    await page.getByLabel('Source').fill(ATTACKER);
    await page.getByLabel('Source').press('Enter');
    await page.getByText(/captured \(filtered\)/).waitFor();
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Export NDJSON (ECS)' }).click(),
    ]);
    expect(download.suggestedFilename()).toMatch(/^decnet-events-.+\.ndjson$/);
    const docs = (await readFile(await download.path(), 'utf8'))
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { '@timestamp': string; event: { id: string }; source: { ip: string } });
    const expected = await rpc<{ events: { id: string; decky: string }[] }>('events.list', {
      src: ATTACKER,
      since: new Date(Date.now() - 86_400_000).toISOString(),
      limit: 5000,
    });
    expect(docs.map((d) => d.event.id)).toEqual(expected.events.map((e) => e.id));
    expect(new Set(expected.events.map((e) => e.decky))).toEqual(new Set(['e2e-att-web', 'e2e-att-files']));
    for (const d of docs) {
      expect(d.source.ip).toBe(ATTACKER);
      expect(Number.isNaN(Date.parse(d['@timestamp']))).toBe(false);
    }
  });

  it('a SIEM collector with a certificate from another CA is refused and the error is on the Settings page', async () => {
    const [served, pinned] = [await mintCollectorPki(tmp.dir, 'served'), await mintCollectorPki(tmp.dir, 'pinned')];
    collector = await startTlsCollector(served);
    await goTo(page, 'Settings');
    await page.getByLabel('Collector', { exact: true }).fill(`tls://127.0.0.1:${collector.port}`);
    await page.getByLabel(/^Collector CA/).fill(await readFile(pinned.ca, 'utf8'));
    await page.getByRole('button', { name: 'Save SIEM output' }).click();
    const kv = page.getByLabel('SIEM output');
    await kv.getByText(`tls://127.0.0.1:${collector.port}`, { exact: false }).waitFor();
    // The page re-reads siem.status every 5 s; the forwarder retries the refused handshake meanwhile.
    await expect
      .poll(() => kv.locator('dd.bad').textContent(), { timeout: 30_000 })
      .toMatch(/certificate|self.signed|unable to verify|issuer/i);
    const shown = await kv.locator('dd.bad').textContent();
    const siem = await rpc<{ lastError: string | null; connected: boolean; delivered: number }>('siem.status', {});
    expect(siem).toMatchObject({ connected: false, delivered: 0 });
    expect(shown).toBe(siem.lastError);
    await expect(kv.getByText('not connected', { exact: true }).count()).resolves.toBe(1);
    expect(collector.messages).toEqual([]);
    await screenshot(page, 'settings-siem-refused');
  });
});

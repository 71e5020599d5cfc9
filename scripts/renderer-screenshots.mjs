// Screenshots of every console page against the typed fake bridge, for checking the look by eye.
// Usage: npx vite build --config renderer/vite.config.ts && node scripts/renderer-screenshots.mjs [outDir]
// Serves out/renderer on 127.0.0.1, injects window.decnet (tests/fixtures/fake-bridge.ts with the
// demo fleet) before load, and drives Debian's Chromium through playwright-core. No other traffic.
import { build } from 'esbuild';
import { createServer } from 'node:http';
import { mkdir, readFile } from 'node:fs/promises';
import { extname, join, resolve } from 'node:path';
import { chromium } from 'playwright-core';

const root = resolve(import.meta.dirname, '..');
const outDir = resolve(process.argv[2] ?? '/tmp/shots');
const deckyCount = Number(process.env.DEMO_DECKIES ?? 10_000);
await mkdir(outDir, { recursive: true });

// Lifecycle rows progress on their own so the deploy screenshots show live work.
const entry = `
import './renderer/src/zod-csp';
import { createFakeBridge } from './tests/fixtures/fake-bridge';
import { makeDemoState } from './tests/fixtures/demo-data';
const fake = createFakeBridge(makeDemoState(${deckyCount}));
const invoke = fake.invoke.bind(fake);
fake.invoke = async (command, input) => {
  const res = await invoke(command, input);
  if (res.ok && command === 'deckies.deploy') {
    res.value.lifecycleIds.forEach((id, i) => {
      setTimeout(() => fake.setLifecycle(id, 'running'), 300 + i * 120);
      if (i % 4 !== 3) setTimeout(() => fake.setLifecycle(id, 'succeeded'), 1200 + i * 400);
      else setTimeout(() => fake.setLifecycle(id, 'failed', 'docker compose up: Error response from daemon: driver failed programming external connectivity: Bind for 10.0.0.' + (110 + i) + ':80 failed: port is already allocated'), 1500 + i * 300);
    });
  }
  return res;
};
window.decnet = fake;
`;
const bundle = await build({
  stdin: { contents: entry, resolveDir: root, loader: 'ts' },
  bundle: true,
  write: false,
  format: 'iife',
  platform: 'browser',
  logLevel: 'warning',
});
const initScript = bundle.outputFiles[0].text;

const types = {
  '.html': 'text/html',
  '.js': 'text/javascript',
  '.css': 'text/css',
  '.map': 'application/json',
  '.svg': 'image/svg+xml',
};
const server = createServer(async (req, res) => {
  const path = new URL(req.url ?? '/', 'http://127.0.0.1').pathname;
  const file = join(root, 'out/renderer', path === '/' ? 'index.html' : path);
  try {
    const body = await readFile(file);
    res.writeHead(200, { 'content-type': types[extname(file)] ?? 'application/octet-stream' }).end(body);
  } catch {
    res.writeHead(404).end();
  }
});
await new Promise((r) => server.listen(0, '127.0.0.1', r));
const base = `http://127.0.0.1:${server.address().port}/`;

const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
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
const errors = [];
try {
  const ctx = await browser.newContext({ viewport: { width: 1440, height: 900 }, deviceScaleFactor: 1 });
  await ctx.route(/^(?!http:\/\/127\.0\.0\.1)/, (route) => route.abort()); // only 127.0.0.1 traffic
  const page = await ctx.newPage();
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text().slice(0, 300)));
  const shot = async (name) => {
    await page.waitForTimeout(250); // let fonts and transitions settle
    await page.screenshot({ path: join(outDir, `${name}.png`) });
    console.log(`${outDir}/${name}.png`);
  };
  const go = async (hash) => {
    await page.goto(`${base}#/${hash}`);
    await page.waitForSelector('.page');
  };

  // Login screen: a plain browser without the preload and without a token.
  const anon = await ctx.newPage();
  await anon.goto(base);
  await anon.waitForSelector('.login-card');
  await anon.screenshot({ path: join(outDir, 'login.png') });
  await anon.close();

  await ctx.addInitScript({ content: initScript });
  await go('hosts');
  await page.waitForSelector('table tbody tr');
  await page
    .getByRole('row', { name: /ot-segment-03/ })
    .getByRole('button', { name: /Check/ })
    .click();
  await page.getByText(/Unreachable/).waitFor();
  await shot('hosts');
  await page
    .getByRole('button', { name: /Enroll host/ })
    .first()
    .click();
  await page.getByLabel('Host name').fill('branch-porto');
  await page.getByLabel(/Address/).fill('10.70.0.4');
  await page.keyboard.press('Enter');
  await page.getByText(/Expires in/).waitFor();
  await shot('hosts-enroll');
  await page.keyboard.press('Escape');

  await go('deckies');
  await page.waitForSelector('.vtable-row');
  await shot('deckies');
  const t0 = Date.now();
  await page.getByLabel('Filter deckies').fill('rdp');
  await page.waitForTimeout(50);
  console.log(`filter over ${deckyCount} rows: ${Date.now() - t0} ms`);
  await page.getByLabel('Filter deckies').fill('');

  await page.getByRole('button', { name: /Deploy deckies/ }).click();
  await page.getByRole('radio', { name: /dmz-sensor-01/ }).click();
  await page.getByLabel('Number of deckies').fill('8');
  await shot('deploy-1-target');
  await page.getByRole('button', { name: 'Next' }).click();
  await page.getByRole('radio', { name: /Web server/ }).click();
  await shot('deploy-2-profile');
  await page.getByRole('button', { name: 'Next' }).click();
  await page.getByLabel('Name prefix').fill('web');
  await page.locator('details.persona summary').first().click(); // open the HTTP persona section
  await page.getByLabel('server', { exact: true }).first().fill('nginx/1.24.0');
  await shot('deploy-3-persona');
  await page.getByRole('button', { name: 'Preview' }).click();
  await page.getByText(/will be deployed/).waitFor();
  await shot('deploy-4-preview');
  await page.getByRole('button', { name: /^Deploy \d+/ }).click();
  await page.getByRole('list', { name: 'Per-decky progress' }).waitFor();
  await page.waitForTimeout(1600);
  await shot('deploy-5-progress');
  await page.keyboard.press('Escape');
  await page.waitForTimeout(2500);
  await shot('deckies-tray');

  await page
    .getByRole('row', { name: /decky-0002/ })
    .getByRole('button', { name: 'Mutate' })
    .click();
  await page.getByRole('button', { name: /Telnet/ }).click();
  await page.getByRole('button', { name: 'Preview change' }).click();
  await page.getByText(/Dry run accepted/).waitFor();
  await shot('deckies-mutate');
  await page.keyboard.press('Escape');

  await go('topologies');
  await page.waitForSelector('table tbody tr');
  await page
    .getByRole('row', { name: /plant-floor-ot/ })
    .getByRole('button', { name: /Manage/ })
    .click();
  await page.getByText('State on the host').waitFor();
  await page.waitForTimeout(200);
  await shot('topologies');
  await page.getByRole('button', { name: /New topology/ }).click();
  await page.getByLabel('Name', { exact: true }).fill('branch-porto');
  await page.getByRole('button', { name: /Add decky/ }).click();
  await shot('topologies-create');
  await page.keyboard.press('Escape');

  await go('events');
  await page.waitForSelector('.chart svg rect');
  await shot('events');
  await page.getByLabel('Service', { exact: true }).selectOption('http');
  await page.waitForTimeout(300);
  await shot('events-filtered');

  await go('settings');
  await page.waitForSelector('.card');
  await shot('settings');
} catch (err) {
  errors.push(String(err));
  await browser
    .contexts()[0]
    ?.pages()
    .at(-1)
    ?.screenshot({ path: join(outDir, 'failure.png') });
} finally {
  await browser.close();
  server.close();
}
if (errors.length) {
  console.error(`browser errors:\n${errors.join('\n')}`);
  process.exitCode = 1;
}

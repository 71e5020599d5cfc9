import {
  app,
  type BrowserWindow,
  dialog,
  ipcMain,
  Menu,
  nativeImage,
  Notification,
  screen,
  session,
  Tray,
  type IpcMainInvokeEvent,
} from 'electron';
import log from 'electron-log/main.js';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { toAppError } from '../../shared/errors';
import type { Logger } from '../../shared/node/logger';
import { electronNodeSpawner } from '../../shared/node/node-spawner';
import {
  acquireDataDirLock,
  CLOSE_TO_TRAY,
  createMaster,
  LOCAL_DECKIES_ON_QUIT,
  loadConfig,
  type DataDirLock,
  type Master,
} from '../core/master';
import { registerIpc, sendEvent } from './ipc';
import { configureElectronLog, electronLogger } from './log-setup';
import { aboutPanelOptions, buildMenuTemplate } from './menu';
import { quitAnswer, quitDialogOptions, quitPlan } from './quit-choice';
import {
  badgeCount,
  closeAction,
  createAlertCounter,
  incidentNotification,
  trayMenuTemplate,
  trayTooltip,
} from './tray';
import { createMainWindow, hardenContents, hardenSession } from './window';
import { windowStateStore } from './window-state';

// This file only wires Electron to the pure modules beside it (each unit-tested without Electron).
// Bundled to out/electron/main.js; the renderer, preload, icon and local agent sit beside it in out/.
const outDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const APP_NAME = 'DECNET Console';

let logger: Logger = electronLogger(log, { app: 'decnet-console' });
let master: Master | null = null;
let lock: DataDirLock | null = null;
let window: BrowserWindow | null = null;
let tray: Tray | null = null;
let disposeIpc: (() => void) | null = null;
let quitting = false;
const alerts = createAlertCounter();
const windowState = windowStateStore(join(app.getPath('userData'), 'window-state.json'), {
  readFile: (p) => readFileSync(p, 'utf8'),
  writeFile: (p, d) => writeFileSync(p, d, { mode: 0o600 }),
});

/** Only the console window's own top frame may call the master. */
function isTrustedSender(event: IpcMainInvokeEvent): boolean {
  return window !== null && event.sender === window.webContents && event.senderFrame === window.webContents.mainFrame;
}

function showWindow(): void {
  if (!master) return;
  if (!window) {
    const win = createMainWindow(outDir, windowState.load(screen.getAllDisplays().map((d) => d.workArea)));
    win.on('close', (event) => {
      windowState.save({ ...win.getNormalBounds(), maximized: win.isMaximized() });
      if (closeAction({ closeToTray: master?.store.settings.get(CLOSE_TO_TRAY) === true, quitting }) === 'hide') {
        event.preventDefault();
        win.hide();
      }
    });
    win.on('closed', () => (window = null));
    window = win;
    return;
  }
  if (window.isMinimized()) window.restore();
  window.show();
  window.focus();
}

function createTray(): Tray {
  const t = new Tray(nativeImage.createFromPath(join(outDir, 'electron', 'icon.png')));
  t.setContextMenu(Menu.buildFromTemplate(trayMenuTemplate({ onOpen: showWindow, onQuit: () => app.quit() })));
  t.on('click', showWindow);
  const update = (n: number) => {
    t.setToolTip(trayTooltip(APP_NAME, n));
    app.setBadgeCount(badgeCount(n));
  };
  alerts.onChange(update);
  update(alerts.count());
  return t;
}

async function boot(): Promise<void> {
  const config = loadConfig(process.env, {
    dataDir: process.env['DECNET_DATA_DIR'] ?? join(app.getPath('userData'), 'data'),
  });
  configureElectronLog(log, { level: config.logLevel, file: join(app.getPath('userData'), 'logs', 'main.log') });
  logger = electronLogger(log, { app: 'decnet-console' });
  lock = acquireDataDirLock(config.dataDir);
  hardenSession(session.defaultSession);
  // The local agent and its decky hosts are this binary as Node (the RunAsNode fuse stays on).
  const spawnNode = electronNodeSpawner(process.execPath);
  master = await createMaster(
    {
      ...config,
      consoleApi: false,
      agentCliPath: join(outDir, 'agent', 'cli.js'),
      agentPackageDir: join(outDir, '..', 'dist'),
    },
    { log: logger, spawnNode },
  );
  await master.start();
  const m = master;
  disposeIpc = registerIpc({
    ipcMain,
    handlers: m.handlers,
    isTrustedSender,
    log: logger,
    audit: { actor: 'desktop', record: m.audit.record },
  });
  app.setAboutPanelOptions(
    aboutPanelOptions({ appName: APP_NAME, version: app.getVersion(), caFingerprint: m.ca.caInfo().fingerprint }),
  );
  Menu.setApplicationMenu(
    Menu.buildFromTemplate(
      buildMenuTemplate({
        appName: APP_NAME,
        isDev: !app.isPackaged,
        platform: process.platform,
        onAbout: () => app.showAboutPanel(),
      }),
    ),
  );
  m.events.onAny((event, payload) => {
    if (window) sendEvent(window.webContents, event, payload);
  });
  // The tray counts open incidents; every security alert and attacker rule opens one (#19), and a
  // newly opened incident (count 1) is one native notification: repeats fold into it silently.
  const notified = new Set<string>();
  const refreshIncidents = (ids: readonly string[]) =>
    m.handlers['incidents.list']({ state: 'open' }).then(
      ({ incidents }) => {
        alerts.set(incidents.length);
        for (const i of incidents.filter((x) => ids.includes(x.id) && x.count === 1 && !notified.has(x.id))) {
          notified.add(i.id);
          if (Notification.isSupported()) new Notification(incidentNotification(i)).show();
        }
      },
      (err: unknown) => logger.warn('cannot read open incidents for the tray', { err: (err as Error).message }),
    );
  m.events.on('incidents.changed', (p) => void refreshIncidents(p.incidentIds));
  void refreshIncidents([]);
  tray = createTray();
  showWindow();
}

// One console per user profile (Electron's lock); one master per data dir (master.lock, in boot).
if (!app.requestSingleInstanceLock()) {
  app.exit(0);
} else {
  app.enableSandbox();
  app.on('second-instance', () => showWindow());
  app.on('web-contents-created', (_e, contents) => hardenContents(contents));
  app.whenReady().then(boot, fatal).catch(fatal);
  app.on('window-all-closed', () => app.quit());
  app.on('activate', showWindow);
  app.on('before-quit', () => (quitting = true));
  let stopping = false;
  app.on('will-quit', (event) => {
    if (stopping || !master) return;
    stopping = true;
    event.preventDefault();
    void quitMaster(master).then((quit) => {
      if (!quit) stopping = quitting = false;
    });
  });
}

/**
 * Asks once what to do with the local deckies (unless Settings remembers it), then stops the
 * master. Returns false when the analyst cancelled: the console keeps running.
 */
async function quitMaster(m: Master): Promise<boolean> {
  const { localDeckiesOnQuit: setting } = await m.handlers['settings.get']({});
  const local = m.store.fleet.list().filter((d) => d.config.hostUuid === null).length;
  let plan = quitPlan(setting, local);
  if (plan === 'ask') {
    const box = quitDialogOptions(local);
    const r = await (window ? dialog.showMessageBox(window, box) : dialog.showMessageBox(box));
    const answer = quitAnswer(r.response, r.checkboxChecked);
    if (answer.choice === 'cancel') return false;
    if (answer.remember) m.store.settings.set(LOCAL_DECKIES_ON_QUIT, answer.remember);
    plan = answer.choice;
  }
  disposeIpc?.();
  tray?.destroy();
  await m
    .stop({ stopLocalDeckies: plan === 'stop' })
    .catch((err: unknown) => logger.error('master stop failed', { err }))
    .finally(() => {
      lock?.release();
      app.exit(0);
    });
  return true;
}

/** A start failure (bad DECNET_* knob, data dir locked by another master) is one dialog line, exit 1. */
function fatal(err: unknown): void {
  const message = toAppError(err).message;
  logger.error('console failed to start', { err });
  dialog.showErrorBox(APP_NAME, message);
  lock?.release();
  app.exit(1);
}

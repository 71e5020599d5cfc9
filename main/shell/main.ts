import { app, BrowserWindow, ipcMain, type IpcMainInvokeEvent } from 'electron';
import log from 'electron-log/main.js';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createMaster, loadConfig, type Master } from '../core/master';
import { registerIpc, sendEvent } from './ipc';
import { createMainWindow } from './window';

// Bundled to out/electron/main.js; the renderer, preload and local agent sit beside it in out/.
const outDir = join(dirname(fileURLToPath(import.meta.url)), '..');

log.initialize();
log.transports.file.resolvePathFn = () => join(app.getPath('userData'), 'logs', 'main.log');

const logger = {
  debug: (m: string, f?: Record<string, unknown>) => log.debug(m, f ?? ''),
  info: (m: string, f?: Record<string, unknown>) => log.info(m, f ?? ''),
  warn: (m: string, f?: Record<string, unknown>) => log.warn(m, f ?? ''),
  error: (m: string, f?: Record<string, unknown>) => log.error(m, f ?? ''),
  critical: (m: string, f?: Record<string, unknown>) => log.error(`CRITICAL ${m}`, f ?? ''),
  child: () => logger,
};

let master: Master | null = null;
let window: BrowserWindow | null = null;
let disposeIpc: (() => void) | null = null;

/** Only the console window's own top frame may call the master. */
function isTrustedSender(event: IpcMainInvokeEvent): boolean {
  return window !== null && event.sender === window.webContents && event.senderFrame === window.webContents.mainFrame;
}

async function boot(): Promise<void> {
  const config = loadConfig(process.env, { dataDir: process.env['DECNET_DATA_DIR'] ?? join(app.getPath('userData'), 'data') });
  master = await createMaster({ ...config, consoleApi: false, agentCliPath: join(outDir, 'agent', 'cli.js'), agentPackageDir: join(outDir, '..', 'dist') }, { log: logger });
  await master.start();
  disposeIpc = registerIpc({ ipcMain, handlers: master.handlers, isTrustedSender, log: logger });
  window = createMainWindow(outDir);
  master.events.onAny((event, payload) => {
    if (window) sendEvent(window.webContents, event, payload);
  });
  window.on('closed', () => (window = null));
}

app.enableSandbox();
app.on('web-contents-created', (_e, contents) => contents.on('will-navigate', (ev) => ev.preventDefault()));
app.whenReady().then(boot, (err: unknown) => {
  log.error('console failed to start', err);
  app.exit(1);
});
app.on('window-all-closed', () => app.quit());
app.on('activate', () => {
  if (master && BrowserWindow.getAllWindows().length === 0) window = createMainWindow(outDir);
});

let stopping = false;
app.on('will-quit', (event) => {
  if (stopping || !master) return;
  stopping = true;
  event.preventDefault();
  disposeIpc?.();
  void master.stop().finally(() => app.exit(0));
});

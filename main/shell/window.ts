import { BrowserWindow, shell, type Session, type WebContents } from 'electron';
import { join } from 'node:path';
import { allowPermission, allowRequest, buildWindowOptions, CONSOLE_CSP_HEADER, windowOpenAction } from './security';
import type { WindowBounds } from './window-state';

/**
 * The session the console window uses: the CSP header on every response, no remote request ever
 * leaves it, and the only permission granted is notifications.
 */
export function hardenSession(s: Session): void {
  s.webRequest.onHeadersReceived((details, callback) => {
    callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [CONSOLE_CSP_HEADER] } });
  });
  s.webRequest.onBeforeRequest((details, callback) => callback({ cancel: !allowRequest(details.url) }));
  s.setPermissionRequestHandler((_wc, permission, callback) => callback(allowPermission(permission)));
  s.setPermissionCheckHandler((_wc, permission) => allowPermission(permission));
}

/** Creates the console window (style-anchors §3.11; options from buildWindowOptions). */
export function createMainWindow(outDir: string, bounds: WindowBounds | null): BrowserWindow {
  const win = new BrowserWindow(buildWindowOptions({ preload: join(outDir, 'electron', 'preload.cjs'), bounds }));
  hardenContents(win.webContents);
  win.once('ready-to-show', () => {
    if (bounds?.maximized) win.maximize();
    win.show();
  });
  void win.loadFile(join(outDir, 'renderer', 'index.html'));
  return win;
}

/** No navigation away from the bundle, no new windows, no webviews; https links open outside. */
export function hardenContents(contents: WebContents): void {
  contents.on('will-navigate', (event) => event.preventDefault());
  contents.on('will-attach-webview', (event) => event.preventDefault());
  contents.setWindowOpenHandler(({ url }) => {
    const { action, openExternal } = windowOpenAction(url);
    if (openExternal) void shell.openExternal(openExternal);
    return { action };
  });
}

import type { BrowserWindowConstructorOptions } from 'electron';
import type { WindowBounds } from './window-state';

/**
 * The renderer is bundled and nothing remote is ever loaded, so the policy can be this tight. The
 * same string is the `<meta>` in renderer/index.html (file:// responses carry no headers, so the
 * meta is what applies in the window) and the header set on the session (tests keep them equal).
 * frame-ancestors is ignored in a meta (Chromium warns), so it is in the header only.
 * 'wasm-unsafe-eval' lets the session-replay player (asciinema-player) compile its bundled
 * WebAssembly terminal emulator; it allows no JavaScript eval and no remote code.
 */
export const CONSOLE_CSP =
  "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'";
export const CONSOLE_CSP_HEADER = `${CONSOLE_CSP}; frame-ancestors 'none'`;

/** The only permission the console asks for: native notifications for alerts. */
export const ALLOWED_PERMISSIONS: ReadonlySet<string> = new Set(['notifications']);

export const allowPermission = (permission: string): boolean => ALLOWED_PERMISSIONS.has(permission);

/** Remote content is never fetched: only the bundle (file:) and devtools in development. */
export const allowRequest = (url: string): boolean => /^(file|devtools|data|blob):/.test(url);

/** Every window.open is denied; an https link is handed to the system browser instead. */
export const windowOpenAction = (url: string): { action: 'deny'; openExternal: string | null } => ({
  action: 'deny',
  openExternal: url.startsWith('https://') ? url : null,
});

/** The console window: sandboxed, isolated, no Node, no webview, remembered bounds. */
export function buildWindowOptions(opts: {
  preload: string;
  bounds: WindowBounds | null;
}): BrowserWindowConstructorOptions {
  return {
    width: opts.bounds?.width ?? 1440,
    height: opts.bounds?.height ?? 900,
    ...(opts.bounds?.x !== undefined && opts.bounds.y !== undefined ? { x: opts.bounds.x, y: opts.bounds.y } : {}),
    minWidth: 1024,
    minHeight: 640,
    backgroundColor: '#0b1120',
    title: 'DECNET Console',
    show: false,
    webPreferences: {
      preload: opts.preload,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      experimentalFeatures: false,
      webviewTag: false,
      navigateOnDragDrop: false,
      spellcheck: false,
    },
  };
}

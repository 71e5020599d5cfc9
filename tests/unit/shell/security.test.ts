// The Electron security checklist items that can be checked without the binary: the built window
// options, the CSP in the source and the built index.html, permission/request/window-open policy,
// the preload surface.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createPreloadBridge } from '../../../main/preload/bridge';
import {
  allowPermission,
  allowRequest,
  buildWindowOptions,
  CONSOLE_CSP,
  CONSOLE_CSP_HEADER,
  windowOpenAction,
} from '../../../main/shell/security';

const ROOT = join(import.meta.dirname, '../../..');
// Whitespace between the attributes is free (prettier breaks the long tag); the policy must match exactly.
const metaCsp = (html: string) => /<meta\s+http-equiv="Content-Security-Policy"\s+content="([^"]+)"/.exec(html)?.[1];

describe('Electron security checklist (testable items)', () => {
  it('window: sandbox, contextIsolation, no Node integration anywhere, no webview, web security on', () => {
    const o = buildWindowOptions({ preload: '/out/electron/preload.cjs', bounds: null });
    expect(o.webPreferences).toMatchObject({
      preload: '/out/electron/preload.cjs',
      sandbox: true,
      contextIsolation: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webviewTag: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      experimentalFeatures: false,
    });
    expect(o.show).toBe(false);
  });

  it('window: remembered bounds are applied, a missing position is left to the window manager', () => {
    expect(buildWindowOptions({ preload: 'p', bounds: { x: 10, y: 20, width: 1200, height: 800 } })).toMatchObject({
      x: 10,
      y: 20,
      width: 1200,
      height: 800,
    });
    const o = buildWindowOptions({ preload: 'p', bounds: { width: 1100, height: 700 } });
    expect(o).toMatchObject({ width: 1100, height: 700 });
    expect('x' in o).toBe(false);
  });

  it('CSP: renderer/index.html carries the same policy the shell sets; no remote source, no eval, no objects', () => {
    expect(metaCsp(readFileSync(join(ROOT, 'renderer/index.html'), 'utf8'))).toBe(CONSOLE_CSP);
    expect(CONSOLE_CSP_HEADER.startsWith(CONSOLE_CSP)).toBe(true);
    expect(CONSOLE_CSP_HEADER).toContain("frame-ancestors 'none'");
    // 'wasm-unsafe-eval' (the replay player's WebAssembly) is the one exception: no JS eval.
    expect(CONSOLE_CSP).not.toMatch(/(?<!wasm-)unsafe-eval|https?:|\*/);
    expect(CONSOLE_CSP).toContain("script-src 'self' 'wasm-unsafe-eval';");
    expect(CONSOLE_CSP).toContain("object-src 'none'");
  });

  it(
    'CSP: the built out/renderer/index.html keeps it and loads only relative bundled scripts',
    { timeout: 120_000 },
    () => {
      const built = join(ROOT, 'out/renderer/index.html');
      // Built from the current source: rebuild when missing or older than renderer/index.html.
      if (!existsSync(built) || statSync(built).mtimeMs < statSync(join(ROOT, 'renderer/index.html')).mtimeMs)
        execFileSync(process.execPath, ['scripts/build.mjs'], { cwd: ROOT, stdio: 'ignore' });
      const html = readFileSync(built, 'utf8');
      expect(metaCsp(html)).toBe(CONSOLE_CSP);
      const scripts = [...html.matchAll(/<script[^>]*src="([^"]+)"/g)].map((m) => m[1]!);
      expect(scripts.length).toBeGreaterThan(0);
      for (const s of scripts) expect(s).toMatch(/^\.\/assets\//);
      expect(html).not.toMatch(/<script(?![^>]*src=)[^>]*>\s*\S/);
    },
  );

  it('permissions: notifications only', () => {
    expect(allowPermission('notifications')).toBe(true);
    for (const p of [
      'media',
      'geolocation',
      'clipboard-read',
      'openExternal',
      'fullscreen',
      'pointerLock',
      'midi',
      'display-capture',
    ])
      expect(allowPermission(p), p).toBe(false);
  });

  it('session: no remote content, only the bundle', () => {
    expect(allowRequest('file:///opt/app/resources/app.asar/out/renderer/index.html')).toBe(true);
    for (const u of ['https://example.com/x.js', 'http://127.0.0.1:8000/', 'ws://127.0.0.1/', 'ftp://x/'])
      expect(allowRequest(u), u).toBe(false);
  });

  it('window.open: always denied; only https links go to the system browser', () => {
    expect(windowOpenAction('https://docs.example/')).toEqual({
      action: 'deny',
      openExternal: 'https://docs.example/',
    });
    for (const u of ['http://x/', 'file:///etc/passwd', 'javascript:alert(1)', 'smb://host/share'])
      expect(windowOpenAction(u)).toEqual({ action: 'deny', openExternal: null });
  });

  it('preload: exposes invoke and on only, no ipcRenderer, no Node', () => {
    const bridge = createPreloadBridge({
      invoke: () => Promise.resolve(),
      on: () => undefined as never,
      removeListener: () => undefined as never,
    });
    expect(Object.keys(bridge).sort()).toEqual(['invoke', 'on']);
    const preload = readFileSync(join(ROOT, 'main/preload/index.ts'), 'utf8');
    expect(preload.match(/exposeInMainWorld\(/g)).toHaveLength(1);
    expect(preload).not.toMatch(/node:|require\(/);
  });

  it('main.ts wires the checklist: sandbox for all renderers, session hardening, navigation fences on every contents', () => {
    const main = readFileSync(join(ROOT, 'main/shell/main.ts'), 'utf8');
    expect(main).toContain('app.enableSandbox()');
    expect(main).toContain('hardenSession(session.defaultSession)');
    expect(main).toMatch(/web-contents-created.*hardenContents/);
    const win = readFileSync(join(ROOT, 'main/shell/window.ts'), 'utf8');
    for (const s of [
      "'will-navigate'",
      "'will-attach-webview'",
      'setWindowOpenHandler',
      'setPermissionRequestHandler',
      'setPermissionCheckHandler',
      'onBeforeRequest',
    ])
      expect(win).toContain(s);
  });
});

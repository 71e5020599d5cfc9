import type { MenuItemConstructorOptions } from 'electron';
import { describe, expect, it } from 'vitest';
import { aboutPanelOptions, buildMenuTemplate } from '../../../main/shell/menu';
import {
  alertNotification,
  badgeCount,
  closeAction,
  createAlertCounter,
  incidentNotification,
  trayMenuTemplate,
  trayTooltip,
} from '../../../main/shell/tray';
import { windowStateStore } from '../../../main/shell/window-state';

const roles = (items: MenuItemConstructorOptions[]): string[] =>
  items.flatMap((i) => [...(i.role ? [String(i.role)] : []), ...(Array.isArray(i.submenu) ? roles(i.submenu) : [])]);

describe('application menu', () => {
  const base = { appName: 'DECNET Console', platform: 'linux' as const, onAbout: () => undefined };

  it('production: standard edit roles, no reload, no devtools', () => {
    const r = roles(buildMenuTemplate({ ...base, isDev: false }));
    expect(r).toEqual(
      expect.arrayContaining(['undo', 'redo', 'cut', 'copy', 'paste', 'selectAll', 'quit', 'windowMenu']),
    );
    for (const bad of ['reload', 'forceReload', 'toggleDevTools']) expect(r).not.toContain(bad);
  });

  it('development: reload and devtools', () => {
    expect(roles(buildMenuTemplate({ ...base, isDev: true }))).toEqual(
      expect.arrayContaining(['reload', 'forceReload', 'toggleDevTools']),
    );
  });

  it('an About item calls onAbout on every platform', () => {
    for (const platform of ['linux', 'darwin', 'win32'] as const) {
      let called = 0;
      const find = (items: MenuItemConstructorOptions[]): MenuItemConstructorOptions | undefined =>
        items
          .map((i) => (i.label?.startsWith('About') ? i : Array.isArray(i.submenu) ? find(i.submenu) : undefined))
          .find(Boolean);
      const about = find(buildMenuTemplate({ ...base, platform, isDev: false, onAbout: () => called++ }));
      (about?.click as () => void)();
      expect(called, platform).toBe(1);
    }
  });

  it('the About panel names the version and the CA fingerprint', () => {
    const fp = 'ab'.repeat(32);
    const o = aboutPanelOptions({ appName: 'DECNET Console', version: '0.1.0', caFingerprint: fp });
    expect(o.applicationVersion).toBe('0.1.0');
    expect(o.credits).toContain(fp);
  });
});

describe('tray', () => {
  it('tooltip and badge follow the open-alert count', () => {
    expect(trayTooltip('DECNET Console', 0)).toBe('DECNET Console: no open alerts');
    expect(trayTooltip('DECNET Console', 1)).toBe('DECNET Console: 1 open alert');
    expect(trayTooltip('DECNET Console', 7)).toBe('DECNET Console: 7 open alerts');
    expect(badgeCount(5000)).toBe(999);
  });

  it('menu: Open console and Quit', () => {
    const calls: string[] = [];
    const t = trayMenuTemplate({ onOpen: () => calls.push('open'), onQuit: () => calls.push('quit') });
    expect(t.filter((i) => i.label).map((i) => i.label)).toEqual(['Open console', 'Quit']);
    for (const i of t) (i.click as (() => void) | undefined)?.();
    expect(calls).toEqual(['open', 'quit']);
  });

  it('alert counter: counts alerts until seen, tells listeners on each change', () => {
    const c = createAlertCounter();
    const seen: number[] = [];
    c.onChange((n) => seen.push(n));
    expect(c.count()).toBe(0);
    c.add();
    c.add();
    c.seen();
    c.seen();
    expect(seen).toEqual([1, 2, 0]);
  });

  it('alert counter: set() takes the open-incident count and tells listeners only on a change', () => {
    const c = createAlertCounter();
    const seen: number[] = [];
    c.onChange((n) => seen.push(n));
    c.set(3);
    c.set(3);
    c.set(1);
    c.set(-2);
    expect(seen).toEqual([3, 1, 0]);
    expect(c.count()).toBe(0);
  });

  it('a new incident becomes a notification naming its source, bounded', () => {
    const n = incidentNotification({ title: 'New source 198.51.100.7 touched ws-01 (ssh)', source: '198.51.100.7' });
    expect(n).toEqual({
      title: 'DECNET: new incident',
      body: 'New source 198.51.100.7 touched ws-01 (ssh) (source 198.51.100.7)',
      urgency: 'critical',
    });
    expect(incidentNotification({ title: 'x'.repeat(900), source: 's' }).body).toHaveLength(500);
  });

  it('close: quits by default, hides to the tray only when chosen and not quitting', () => {
    expect(closeAction({ closeToTray: false, quitting: false })).toBe('close');
    expect(closeAction({ closeToTray: true, quitting: false })).toBe('hide');
    expect(closeAction({ closeToTray: true, quitting: true })).toBe('close');
  });

  it('a security alert becomes a notification with its kind and a bounded body', () => {
    const n = alertNotification({ kind: 'fingerprint-mismatch', message: 'x'.repeat(2000) });
    expect(n.title).toBe('DECNET alert: fingerprint-mismatch');
    expect(n.body).toHaveLength(500);
  });
});

describe('window state store', () => {
  const display = { x: 0, y: 0, width: 1920, height: 1080 };
  const memFs = (init?: string) => {
    const files = new Map<string, string>(init === undefined ? [] : [['/s.json', init]]);
    return {
      files,
      fs: {
        readFile: (p: string) => {
          const v = files.get(p);
          if (v === undefined) throw Object.assign(new Error('ENOENT'), { code: 'ENOENT' });
          return v;
        },
        writeFile: (p: string, d: string) => void files.set(p, d),
      },
    };
  };

  it('round-trips bounds', () => {
    const m = memFs();
    const s = windowStateStore('/s.json', m.fs);
    expect(s.load([display])).toBeNull();
    s.save({ x: 100, y: 50, width: 1300, height: 850, maximized: true });
    expect(s.load([display])).toEqual({ x: 100, y: 50, width: 1300, height: 850, maximized: true });
  });

  it('drops a position on no current display, keeps the size', () => {
    const s = windowStateStore('/s.json', memFs(JSON.stringify({ x: 5000, y: 40, width: 1300, height: 850 })).fs);
    expect(s.load([display])).toEqual({ width: 1300, height: 850 });
  });

  it('ignores malformed, oversized or out-of-range files, and refuses to save nonsense', () => {
    for (const bad of [
      '{',
      '[]',
      JSON.stringify({ width: 10, height: 10 }),
      JSON.stringify({ width: 1000, height: 700, extra: 1 }),
      ' '.repeat(5000),
    ]) {
      expect(windowStateStore('/s.json', memFs(bad).fs).load([display]), bad.slice(0, 20)).toBeNull();
    }
    const m = memFs();
    windowStateStore('/s.json', m.fs).save({ width: -1, height: 0 });
    expect(m.files.size).toBe(0);
  });
});

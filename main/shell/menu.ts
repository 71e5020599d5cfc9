import type { AboutPanelOptionsOptions, MenuItemConstructorOptions } from 'electron';

export type MenuOptions = Readonly<{ appName: string; isDev: boolean; platform: NodeJS.Platform; onAbout: () => void }>;

/**
 * The application menu from the standard roles only. Reload and devtools exist in development
 * alone: in production a reload would drop in-flight state and devtools would hand anyone at the
 * keyboard a console into the renderer.
 */
export function buildMenuTemplate(o: MenuOptions): MenuItemConstructorOptions[] {
  const about: MenuItemConstructorOptions = { label: `About ${o.appName}`, click: o.onAbout };
  const appMenu: MenuItemConstructorOptions[] =
    o.platform === 'darwin'
      ? [
          {
            label: o.appName,
            submenu: [
              about,
              { type: 'separator' },
              { role: 'hide' },
              { role: 'hideOthers' },
              { role: 'unhide' },
              { type: 'separator' },
              { role: 'quit' },
            ],
          },
        ]
      : [{ label: 'File', submenu: [{ role: 'quit' }] }];
  const view: MenuItemConstructorOptions[] = [
    ...(o.isDev
      ? ([{ role: 'reload' }, { role: 'forceReload' }, { role: 'toggleDevTools' }, { type: 'separator' }] as const)
      : []),
    { role: 'resetZoom' },
    { role: 'zoomIn' },
    { role: 'zoomOut' },
    { type: 'separator' },
    { role: 'togglefullscreen' },
  ];
  return [
    ...appMenu,
    {
      label: 'Edit',
      submenu: [
        { role: 'undo' },
        { role: 'redo' },
        { type: 'separator' },
        { role: 'cut' },
        { role: 'copy' },
        { role: 'paste' },
        { role: 'selectAll' },
      ],
    },
    { label: 'View', submenu: view },
    { role: 'windowMenu' },
    { role: 'help', submenu: o.platform === 'darwin' ? [] : [about] },
  ];
}

/** The About panel names the version and the CA fingerprint workers pin. */
export function aboutPanelOptions(o: {
  appName: string;
  version: string;
  caFingerprint: string;
}): AboutPanelOptionsOptions {
  return {
    applicationName: o.appName,
    applicationVersion: o.version,
    version: o.version,
    copyright: 'Copyright © 2026 DECNET',
    credits: `CA fingerprint (SHA-256): ${o.caFingerprint}`,
  };
}

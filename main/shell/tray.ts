import type { MenuItemConstructorOptions } from 'electron';

/** Tooltip and badge text for `open` unread alerts. */
export function trayTooltip(appName: string, open: number): string {
  return open === 0 ? `${appName}: no open alerts` : `${appName}: ${open} open alert${open === 1 ? '' : 's'}`;
}

/** macOS/Unity badge count; null clears it. */
export const badgeCount = (open: number): number => Math.min(open, 999);

export function trayMenuTemplate(o: { onOpen: () => void; onQuit: () => void }): MenuItemConstructorOptions[] {
  return [{ label: 'Open console', click: o.onOpen }, { type: 'separator' }, { label: 'Quit', click: o.onQuit }];
}

export type AlertCounter = Readonly<{
  add(): void;
  /** The number of open incidents (#19), which replaces the unseen-alert count. */
  set(n: number): void;
  seen(): void;
  count(): number;
  onChange(fn: (n: number) => void): void;
}>;

/**
 * The tray's count source until incidents exist (#19): `security.alerted` bus events since the
 * analyst last brought the window to the front. The tray takes any `() => number`, so the
 * incident store replaces this without touching the tray.
 */
export function createAlertCounter(): AlertCounter {
  let n = 0;
  const listeners: Array<(n: number) => void> = [];
  const changed = () => listeners.forEach((fn) => fn(n));
  return {
    add: () => {
      n += 1;
      changed();
    },
    set: (next) => {
      if (next === n) return;
      n = Math.max(0, next);
      changed();
    },
    seen: () => {
      if (n === 0) return;
      n = 0;
      changed();
    },
    count: () => n,
    onChange: (fn) => void listeners.push(fn),
  };
}

/** Closing the window: hide to the tray only when the analyst chose it and we are not quitting. */
export const closeAction = (o: { closeToTray: boolean; quitting: boolean }): 'hide' | 'close' =>
  o.closeToTray && !o.quitting ? 'hide' : 'close';

/** A native notification for a security alert: kind in the title, the message as the body. */
/** A native notification for an incident the alert engine has just opened. */
export function incidentNotification(i: { title: string; source: string }): {
  title: string;
  body: string;
  urgency: 'critical';
} {
  return { title: 'DECNET: new incident', body: `${i.title} (source ${i.source})`.slice(0, 500), urgency: 'critical' };
}

export function alertNotification(a: { kind: string; message: string }): {
  title: string;
  body: string;
  urgency: 'critical';
} {
  return { title: `DECNET alert: ${a.kind}`, body: a.message.slice(0, 500), urgency: 'critical' };
}

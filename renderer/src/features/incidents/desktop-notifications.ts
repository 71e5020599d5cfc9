import { create } from 'zustand';
import type { Incident } from '../../../../shared/domain/alerts';

// Browser notifications of new incidents in headless mode (#19). The desktop console does not use
// this: its main process shows a native notification per new incident (main/shell/main.ts), and a
// second one from the page would double every alert.

/** `unsupported` when the browser has no Notification API (or the page is not a secure context). */
export type NotificationSupport = 'unsupported' | NotificationPermission;

const OPT_IN_KEY = 'decnet.incidentNotifications';

export function notificationPermission(): NotificationSupport {
  return typeof Notification === 'undefined' ? 'unsupported' : Notification.permission;
}

function readOptIn(): boolean {
  try {
    return localStorage.getItem(OPT_IN_KEY) === 'on';
  } catch {
    return false;
  }
}

function writeOptIn(on: boolean): void {
  try {
    if (on) localStorage.setItem(OPT_IN_KEY, 'on');
    else localStorage.removeItem(OPT_IN_KEY);
  } catch {
    // Storage refused (private mode): the choice lasts for this page only.
  }
}

type NotificationState = {
  /** The analyst asked for notifications (kept across reloads). */
  optedIn: boolean;
  permission: NotificationSupport;
  /** Opts in and asks the browser, which prompts only the first time for an origin. */
  enable: () => Promise<void>;
  disable: () => void;
  /** Re-reads the permission: the analyst may have changed it in the site settings. */
  refresh: () => void;
};

export const useDesktopNotifications = create<NotificationState>((set) => ({
  optedIn: readOptIn(),
  permission: notificationPermission(),
  enable: async () => {
    writeOptIn(true);
    set({ optedIn: true });
    if (typeof Notification === 'undefined') return;
    // Browsers allow the prompt only from a user gesture, so this runs from the button's click.
    const permission = await Notification.requestPermission();
    set({ permission });
  },
  disable: () => {
    writeOptIn(false);
    set({ optedIn: false });
  },
  refresh: () => set({ permission: notificationPermission() }),
}));

/** What the notification says: the same words as the desktop console's (main/shell/tray.ts). */
export function incidentNotificationText(i: Pick<Incident, 'title' | 'source'>): { title: string; body: string } {
  return { title: 'DECNET: new incident', body: `${i.title} (source ${i.source})`.slice(0, 500) };
}

/**
 * Tracks which open incidents the page has already seen, so only newly opened ones notify: repeats
 * fold into an incident the analyst was already told about, and the incidents open when the page
 * loaded are not news. `seed` takes the open list at start; `fresh` answers the unseen ones of a
 * later open list and marks them seen.
 */
export function createIncidentTracker(): {
  seed: (open: readonly Incident[]) => void;
  fresh: (open: readonly Incident[]) => Incident[];
} {
  const seen = new Set<string>();
  return {
    seed: (open) => open.forEach((i) => seen.add(i.id)),
    fresh: (open) => {
      const out = open.filter((i) => !seen.has(i.id));
      out.forEach((i) => seen.add(i.id));
      return out;
    },
  };
}

import { useEffect } from 'react';
import { call, getBridge, isBrowserMode } from '../../api/bridge';
import { useUiStore } from '../../stores/ui-store';
import { createIncidentTracker, incidentNotificationText, useDesktopNotifications } from './desktop-notifications';

/**
 * Headless mode only: one browser notification per newly opened incident while the analyst has
 * opted in and the browser allows it. Mounted once in the shell, so it notifies on every page.
 */
export function IncidentNotifier() {
  const optedIn = useDesktopNotifications((s) => s.optedIn);
  const permission = useDesktopNotifications((s) => s.permission);
  const active = isBrowserMode() && optedIn && permission === 'granted';
  useEffect(() => {
    if (!active) return;
    const tracker = createIncidentTracker();
    let stopped = false;
    // Changes wait for the seed, so an incident opened before it is never news.
    let chain: Promise<void> = call('incidents.list', { state: 'open' }).then(
      ({ incidents }) => tracker.seed(incidents),
      () => undefined,
    );
    const off = getBridge().on('incidents.changed', () => {
      chain = chain.then(async () => {
        const { incidents } = await call('incidents.list', { state: 'open' }).catch(() => ({ incidents: [] }));
        for (const i of tracker.fresh(incidents)) {
          if (stopped) return;
          const { title, body } = incidentNotificationText(i);
          const n = new Notification(title, { body, tag: i.id });
          n.onclick = () => {
            window.focus();
            useUiStore.getState().setPage('incidents');
          };
        }
      });
    });
    return () => {
      stopped = true;
      off();
    };
  }, [active]);
  return null;
}

/** The Incidents page's "Enable desktop notifications" control (headless mode only). */
export function NotificationControl() {
  const { optedIn, permission, enable, disable, refresh } = useDesktopNotifications();
  useEffect(() => {
    // The analyst may allow or block the site in the browser's settings while the page is open.
    window.addEventListener('focus', refresh);
    return () => window.removeEventListener('focus', refresh);
  }, [refresh]);
  if (!isBrowserMode()) return null;
  if (permission === 'unsupported') {
    return <span className="muted small">This browser cannot show desktop notifications.</span>;
  }
  if (optedIn && permission === 'denied') {
    return (
      <span className="muted small" role="status">
        Notifications are blocked for this site; allow them in the browser's site settings.
      </span>
    );
  }
  if (optedIn && permission === 'granted') {
    return (
      <span className="inline-check" role="status">
        Desktop notifications on
        <button type="button" className="btn btn-sm btn-ghost" onClick={disable}>
          Turn off
        </button>
      </span>
    );
  }
  return (
    <button type="button" className="btn btn-sm" onClick={() => void enable()}>
      Enable desktop notifications
    </button>
  );
}

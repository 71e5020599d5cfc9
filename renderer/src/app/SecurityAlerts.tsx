import { useEffect, useState } from 'react';
import type { EventPayload } from '../../../shared/ipc/types';
import { getBridge } from '../api/bridge';
import { Icon } from '../components/Icon';
import { formatTimestamp } from '../lib/time';

type Alert = EventPayload<'security.alerted'> & { key: number };

/** Security alerts from the master (revoked host calling in, fingerprint mismatch…) as toasts. */
export function SecurityAlerts() {
  const [alerts, setAlerts] = useState<Alert[]>([]);
  useEffect(() => {
    let n = 0;
    return getBridge().on('security.alerted', (payload) => {
      n += 1;
      const alert = { ...payload, key: n };
      setAlerts((a) => [alert, ...a].slice(0, 4));
    });
  }, []);
  if (alerts.length === 0) return null;
  return (
    <div className="toasts" role="log" aria-label="Security alerts">
      {alerts.map((a) => (
        <div key={a.key} className="toast" role="alert">
          <Icon name="alert" />
          <div>
            <div className="strong">{a.kind}</div>
            <div>{a.message}</div>
            <div className="muted small">{formatTimestamp(a.at)}</div>
          </div>
          <button
            type="button"
            className="icon-btn"
            aria-label="Dismiss alert"
            onClick={() => setAlerts((all) => all.filter((x) => x.key !== a.key))}
          >
            <Icon name="x" size={14} />
          </button>
        </div>
      ))}
    </div>
  );
}

import { Icon } from '../../components/Icon';
import { type TrackedOperation, useOperationsStore } from '../../stores/operations-store';
import { LifecycleProgress, TallyBar } from './LifecycleProgress';
import { useLifecycleRows } from './use-lifecycle';
import { useState } from 'react';

function TrayItem({ op }: { op: TrackedOperation }) {
  const [open, setOpen] = useState(false);
  const dismiss = useOperationsStore((s) => s.dismiss);
  const { tally: t } = useLifecycleRows(op.lifecycleIds);
  return (
    <div className="tray-item">
      <div className="tray-item-head">
        <button type="button" className="tray-toggle" aria-expanded={open} onClick={() => setOpen(!open)}>
          <Icon name="chevron" size={14} className={open ? 'rot-90' : undefined} />
          <span>{op.label}</span>
        </button>
        {t.done && (
          <button type="button" className="icon-btn" aria-label={`Dismiss ${op.label}`} onClick={() => dismiss(op.key)}>
            <Icon name="x" size={14} />
          </button>
        )}
      </div>
      {open ? <LifecycleProgress ids={op.lifecycleIds} names={op.names} maxRows={50} /> : <TallyBar t={t} />}
    </div>
  );
}

/** Bottom-right tray: operations keep reporting here after their dialog is closed. */
export function ProgressTray() {
  const operations = useOperationsStore((s) => s.operations);
  const trayOpen = useOperationsStore((s) => s.trayOpen);
  const setTrayOpen = useOperationsStore((s) => s.setTrayOpen);
  if (operations.length === 0) return null;
  return (
    <aside className="tray" aria-label="Operations in progress">
      <button type="button" className="tray-head" aria-expanded={trayOpen} onClick={() => setTrayOpen(!trayOpen)}>
        <Icon name="pulse" size={14} />
        <span>Operations</span>
        <span className="nav-count">{operations.length}</span>
        <Icon name="chevron" size={14} className={trayOpen ? 'rot-90' : 'rot-270'} />
      </button>
      {trayOpen && (
        <div className="tray-body">
          {operations.map((op) => (
            <TrayItem key={op.key} op={op} />
          ))}
        </div>
      )}
    </aside>
  );
}

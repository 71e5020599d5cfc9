import { isBrowserMode, logout } from '../api/bridge';
import { useCommand } from '../api/use-command';
import { Icon, type IconName } from '../components/Icon';
import { type Page, useUiStore } from '../stores/ui-store';

const items: readonly { page: Page; label: string; icon: IconName }[] = [
  { page: 'hosts', label: 'Hosts', icon: 'hosts' },
  { page: 'deckies', label: 'Deckies', icon: 'deckies' },
  { page: 'topologies', label: 'Topologies', icon: 'topologies' },
  { page: 'events', label: 'Events', icon: 'events' },
  { page: 'attackers', label: 'Attackers', icon: 'attackers' },
  { page: 'incidents', label: 'Incidents', icon: 'alert' },
  { page: 'settings', label: 'Settings', icon: 'settings' },
];

/** Left navigation with live counters (online hosts counted by the liveness the master sends). */
export function Nav() {
  const page = useUiStore((s) => s.page);
  const setPage = useUiStore((s) => s.setPage);
  const hosts = useCommand('hosts.list', {});
  const deckies = useCommand('deckies.list', {});
  const settings = useCommand('settings.get', {});
  const incidents = useCommand('incidents.list', { state: 'open' });
  const online = hosts.data?.filter((h) => h.liveness === 'online').length ?? 0;
  const counters: Partial<Record<Page, string>> = {
    hosts: hosts.data ? `${online}/${hosts.data.length}` : '',
    deckies: deckies.data ? deckies.data.length.toLocaleString() : '',
    incidents: incidents.data?.incidents.length ? incidents.data.incidents.length.toLocaleString() : '',
  };

  return (
    <nav className="nav" aria-label="Main">
      <div className="brand">
        <Icon name="shield" size={22} />
        <span>DECNET</span>
      </div>
      <ul>
        {items.map((it) => (
          <li key={it.page}>
            <a
              href={`#/${it.page}`}
              className={page === it.page ? 'nav-item active' : 'nav-item'}
              aria-current={page === it.page ? 'page' : undefined}
              onClick={(e) => {
                e.preventDefault();
                setPage(it.page);
              }}
            >
              <Icon name={it.icon} size={18} />
              <span>{it.label}</span>
              {counters[it.page] && <span className="nav-count">{counters[it.page]}</span>}
            </a>
          </li>
        ))}
      </ul>
      <div className="nav-foot">
        <div className="muted small">{isBrowserMode() ? 'Browser session' : 'Desktop console'}</div>
        {settings.data && <div className="muted small mono">v{settings.data.version}</div>}
        {isBrowserMode() && (
          <button type="button" className="btn btn-ghost btn-sm" onClick={logout}>
            <Icon name="logout" size={14} /> Log out
          </button>
        )}
      </div>
    </nav>
  );
}

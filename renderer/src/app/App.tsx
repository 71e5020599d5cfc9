import { type QueryClient, QueryClientProvider, useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { getBridge } from '../api/bridge';
import { startLiveUpdates } from '../api/live-updates';
import { AttackersPage } from '../features/attackers/AttackersPage';
import { DeckiesPage } from '../features/deckies/DeckiesPage';
import { ProgressTray } from '../features/deckies/ProgressTray';
import { EventsPage } from '../features/events/EventsPage';
import { IncidentNotifier } from '../features/incidents/IncidentNotifications';
import { IncidentsPage } from '../features/incidents/IncidentsPage';
import { HostsPage } from '../features/hosts/HostsPage';
import { SettingsPage } from '../features/settings/SettingsPage';
import { TopologiesPage } from '../features/topologies/TopologiesPage';
import { pageFromHash, useUiStore } from '../stores/ui-store';
import { DialogHost } from './DialogHost';
import { LoginScreen } from './LoginScreen';
import { Nav } from './Nav';
import { createQueryClient } from './query-client';
import { SecurityAlerts } from './SecurityAlerts';
import { useNeedsLogin } from './use-auth';

function LiveUpdates() {
  const qc = useQueryClient();
  useEffect(() => startLiveUpdates(getBridge(), qc), [qc]);
  return null;
}

function CurrentPage() {
  const page = useUiStore((s) => s.page);
  const setPage = useUiStore((s) => s.setPage);
  useEffect(() => {
    // Back/forward and typed URLs change only the hash.
    const onHash = (): void => {
      const next = pageFromHash();
      if (next !== useUiStore.getState().page) setPage(next);
    };
    window.addEventListener('hashchange', onHash);
    return () => window.removeEventListener('hashchange', onHash);
  }, [setPage]);
  switch (page) {
    case 'hosts':
      return <HostsPage />;
    case 'deckies':
      return <DeckiesPage />;
    case 'topologies':
      return <TopologiesPage />;
    case 'events':
      return <EventsPage />;
    case 'attackers':
      return <AttackersPage />;
    case 'incidents':
      return <IncidentsPage />;
    case 'settings':
      return <SettingsPage />;
  }
}

/** The console: left navigation, the current page, dialogs, the operations tray and alerts. */
export function Shell() {
  return (
    <div className="shell">
      <LiveUpdates />
      <Nav />
      <main className="main">
        <CurrentPage />
      </main>
      <DialogHost />
      <ProgressTray />
      <SecurityAlerts />
      <IncidentNotifier />
    </div>
  );
}

/** Root component; tests pass their own QueryClient. */
export function App({ queryClient }: { queryClient?: QueryClient }) {
  const [client] = useState(() => queryClient ?? createQueryClient());
  const needsLogin = useNeedsLogin();
  useEffect(() => {
    // A new session must not show data fetched under the previous one.
    if (needsLogin) client.clear();
  }, [needsLogin, client]);
  return <QueryClientProvider client={client}>{needsLogin ? <LoginScreen /> : <Shell />}</QueryClientProvider>;
}

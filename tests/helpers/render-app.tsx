import { QueryClient } from '@tanstack/react-query';
import { render } from '@testing-library/react';
import { setBridge } from '../../renderer/src/api/bridge';
import { App } from '../../renderer/src/app/App';
import { useOperationsStore } from '../../renderer/src/stores/operations-store';
import { type Page, useUiStore } from '../../renderer/src/stores/ui-store';
import type { FakeBridge } from '../fixtures/fake-bridge';

/** Renders the whole console on `page` against a fake bridge, with a fresh query cache and UI state. */
export function renderApp(bridge: FakeBridge, page: Page) {
  setBridge(bridge);
  useUiStore.setState({ page, dialog: null });
  useOperationsStore.setState({ operations: [], trayOpen: true });
  const queryClient = new QueryClient({ defaultOptions: { queries: { retry: false, staleTime: 0 } } });
  return { queryClient, ...render(<App queryClient={queryClient} />) };
}

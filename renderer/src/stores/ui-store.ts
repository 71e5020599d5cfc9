import { create } from 'zustand';

export const pages = ['hosts', 'deckies', 'topologies', 'events', 'attackers', 'incidents', 'settings'] as const;
export type Page = (typeof pages)[number];

/** The page named in `#/<page>`, hosts by default. */
export function pageFromHash(): Page {
  const hash = typeof location === 'undefined' ? '' : location.hash.replace(/^#\/?/, '');
  return (pages as readonly string[]).includes(hash) ? (hash as Page) : 'hosts';
}

/** Dialogs that can be open; at most one at a time. */
export type Dialog =
  | { kind: 'enroll' }
  | { kind: 'decommission'; hostUuid: string; hostName: string }
  | { kind: 'network'; hostUuid: string }
  /** hostUuid null: every worker ("Update all"). */
  | { kind: 'update-agent'; hostUuid: string | null; hostName: string | null }
  | { kind: 'deploy' }
  | { kind: 'mutate'; deckyName: string }
  | { kind: 'mutate-interval'; deckyName: string }
  | { kind: 'teardown'; deckyName: string }
  | { kind: 'topology-create' }
  | { kind: 'topology-confirm'; topologyId: string; topologyName: string; action: 'teardown' | 'delete' };

type UiState = {
  page: Page;
  dialog: Dialog | null;
  setPage: (page: Page) => void;
  openDialog: (dialog: Dialog) => void;
  closeDialog: () => void;
};

/** Navigation and dialogs: UI-only state, never a copy of master data. */
export const useUiStore = create<UiState>((set) => ({
  page: pageFromHash(),
  dialog: null,
  setPage: (page) => {
    // The hash keeps the page across reloads and lets the browser's back button work.
    if (typeof history !== 'undefined' && location.hash !== `#/${page}`) history.pushState(null, '', `#/${page}`);
    set({ page, dialog: null });
  },
  openDialog: (dialog) => set({ dialog }),
  closeDialog: () => set({ dialog: null }),
}));

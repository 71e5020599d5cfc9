import { create } from 'zustand';

/** A batch of lifecycle rows the analyst started and wants to watch (deploy, mutate, teardown). */
/** `names` maps lifecycle id → decky name, known at once, before the rows arrive. */
export type TrackedOperation = {
  key: string;
  label: string;
  lifecycleIds: string[];
  names: Record<string, string>;
  startedAt: number;
};

type OperationsState = {
  operations: TrackedOperation[];
  trayOpen: boolean;
  track: (label: string, lifecycleIds: string[], names?: Record<string, string>) => string;
  dismiss: (key: string) => void;
  setTrayOpen: (open: boolean) => void;
};

let seq = 0;

/**
 * Only the ids are kept here: the rows themselves are master data and come from react-query
 * (`lifecycle.get`), so closing a wizard never loses sight of the work it started.
 */
export const useOperationsStore = create<OperationsState>((set) => ({
  operations: [],
  trayOpen: true,
  track: (label, lifecycleIds, names = {}) => {
    seq += 1;
    const key = `op-${seq}`;
    set((s) => ({
      operations: [{ key, label, lifecycleIds, names, startedAt: Date.now() }, ...s.operations].slice(0, 20),
      trayOpen: true,
    }));
    return key;
  },
  dismiss: (key) => set((s) => ({ operations: s.operations.filter((o) => o.key !== key) })),
  setTrayOpen: (trayOpen) => set({ trayOpen }),
}));

import { create } from 'zustand';

type FiltersState = {
  deckySearch: string;
  deckyState: string;
  eventDecky: string;
  eventService: string;
  set: (patch: Partial<Omit<FiltersState, 'set'>>) => void;
};

/** Table filters, kept when the analyst switches pages and comes back. */
export const useFiltersStore = create<FiltersState>((set) => ({
  deckySearch: '',
  deckyState: '',
  eventDecky: '',
  eventService: '',
  set: (patch) => set(patch),
}));

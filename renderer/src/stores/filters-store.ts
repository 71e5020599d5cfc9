import { create } from 'zustand';

/** Time ranges the Events and Attackers pages offer, in ms back from now (null = everything). */
export const eventRanges = {
  '1h': 3_600_000,
  '24h': 86_400_000,
  '7d': 7 * 86_400_000,
  '30d': 30 * 86_400_000,
  all: null,
} as const;
export type EventRange = keyof typeof eventRanges;

type FiltersState = {
  deckySearch: string;
  deckyState: string;
  eventDecky: string;
  eventService: string;
  /** Source address or IPv4 CIDR, free text, interaction kind and time range of the Events page. */
  eventSrc: string;
  eventText: string;
  eventKind: string;
  eventRange: EventRange;
  /** The attacker view: the source opened, and the decky it is narrowed to ('' = every decky). */
  attackerSrc: string;
  attackerDecky: string;
  set: (patch: Partial<Omit<FiltersState, 'set'>>) => void;
};

/** Table filters, kept when the analyst switches pages and comes back. */
export const useFiltersStore = create<FiltersState>((set) => ({
  deckySearch: '',
  deckyState: '',
  eventDecky: '',
  eventService: '',
  eventSrc: '',
  eventText: '',
  eventKind: '',
  eventRange: '24h',
  attackerSrc: '',
  attackerDecky: '',
  set: (patch) => set(patch),
}));

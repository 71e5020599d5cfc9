import { useState } from 'react';
import type { EventFilter } from '../../../../shared/domain/event-query';
import { isServiceName } from '../../../../shared/catalog/services';
import { useCommand } from '../../api/use-command';
import { eventRanges, type EventRange, useFiltersStore } from '../../stores/filters-store';

/** The Events page's filter as the contract's EventFilter; the range ends at `now`. */
export function useEventFilter(now: number): EventFilter {
  const { eventDecky, eventService, eventSrc, eventText, eventKind, eventRange } = useFiltersStore();
  const f: EventFilter = {};
  const back = eventRanges[eventRange];
  if (back !== null) f.since = new Date(now - back).toISOString();
  if (eventDecky) f.decky = eventDecky;
  if (eventService && isServiceName(eventService)) f.service = eventService;
  if (eventSrc.trim()) f.src = eventSrc.trim();
  if (eventText.trim()) f.text = eventText.trim();
  if (eventKind.trim()) f.kind = eventKind.trim();
  return f;
}

/** A text field that applies its value on Enter or when it loses focus (not on every key). */
function ApplyField(props: { label: string; placeholder: string; value: string; apply: (v: string) => void }) {
  const [draft, setDraft] = useState(props.value);
  const [shown, setShown] = useState(props.value);
  if (shown !== props.value) {
    // Cleared or changed from outside (Clear filters, a link from another page).
    setShown(props.value);
    setDraft(props.value);
  }
  return (
    <input
      className="search"
      type="search"
      aria-label={props.label}
      placeholder={props.placeholder}
      value={draft}
      onChange={(e) => setDraft(e.target.value)}
      onBlur={() => props.apply(draft)}
      onKeyDown={(e) => e.key === 'Enter' && props.apply(draft)}
    />
  );
}

/** Range, decky, service, kind, source and text: the same filter drives the chart, table and export. */
export function EventFilters() {
  const f = useFiltersStore();
  const deckies = useCommand('deckies.list', {});
  const catalog = useCommand('catalog.get', {}, { staleTime: Infinity });
  const deckyNames = (deckies.data ?? []).map((d) => d.config.name).sort();
  const filtered = Boolean(f.eventDecky || f.eventService || f.eventSrc || f.eventText || f.eventKind);
  return (
    <div className="toolbar">
      <select
        aria-label="Time range"
        value={f.eventRange}
        onChange={(e) => f.set({ eventRange: e.target.value as EventRange })}
      >
        <option value="1h">Last hour</option>
        <option value="24h">Last 24 hours</option>
        <option value="7d">Last 7 days</option>
        <option value="30d">Last 30 days</option>
        <option value="all">All time</option>
      </select>
      <select aria-label="Decky" value={f.eventDecky} onChange={(e) => f.set({ eventDecky: e.target.value })}>
        <option value="">All deckies</option>
        {deckyNames.map((n) => (
          <option key={n} value={n}>
            {n}
          </option>
        ))}
      </select>
      <select aria-label="Service" value={f.eventService} onChange={(e) => f.set({ eventService: e.target.value })}>
        <option value="">All services</option>
        {(catalog.data?.services ?? []).map((s) => (
          <option key={s.name} value={s.name}>
            {s.label}
          </option>
        ))}
      </select>
      <ApplyField
        label="Source"
        placeholder="Source IP or CIDR"
        value={f.eventSrc}
        apply={(v) => f.set({ eventSrc: v })}
      />
      <ApplyField
        label="Kind"
        placeholder="Kind (auth, command…)"
        value={f.eventKind}
        apply={(v) => f.set({ eventKind: v })}
      />
      <ApplyField
        label="Search"
        placeholder="Text in the event data"
        value={f.eventText}
        apply={(v) => f.set({ eventText: v })}
      />
      {filtered && (
        <button
          type="button"
          className="btn btn-sm btn-ghost"
          onClick={() => f.set({ eventDecky: '', eventService: '', eventSrc: '', eventText: '', eventKind: '' })}
        >
          Clear filters
        </button>
      )}
    </div>
  );
}

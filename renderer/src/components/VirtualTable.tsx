import { useVirtualizer } from '@tanstack/react-virtual';
import { type ReactNode, useRef } from 'react';

export type Column<T> = {
  key: string;
  header: string;
  /** CSS grid track, e.g. `minmax(160px, 1.4fr)` or `96px`. */
  width: string;
  render: (row: T) => ReactNode;
  align?: 'end';
};

/**
 * A table that renders only the rows in view, so 10 000 deckies or events scroll smoothly.
 * Rows are CSS-grid `div`s with table roles because a virtualised `<table>` cannot keep column
 * widths stable while rows come and go.
 */
export function VirtualTable<T>({
  rows,
  columns,
  rowKey,
  label,
  rowHeight = 44,
  empty,
}: {
  rows: readonly T[];
  columns: readonly Column<T>[];
  rowKey: (row: T) => string;
  label: string;
  rowHeight?: number;
  empty?: ReactNode;
}) {
  const scrollRef = useRef<HTMLDivElement>(null);
  const virtualizer = useVirtualizer({
    count: rows.length,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => rowHeight,
    overscan: 12,
    // Without layout (first paint, jsdom) still render a screenful instead of nothing.
    initialRect: { width: 1200, height: 800 },
  });
  const template = columns.map((c) => c.width).join(' ');

  return (
    <div className="vtable" ref={scrollRef} role="table" aria-label={label} aria-rowcount={rows.length + 1}>
      <div className="vtable-head" role="row" style={{ gridTemplateColumns: template }}>
        {columns.map((c) => (
          <div key={c.key} role="columnheader" className={c.align === 'end' ? 'cell-end' : undefined}>
            {c.header}
          </div>
        ))}
      </div>
      {rows.length === 0 ? (
        <div className="vtable-empty">{empty}</div>
      ) : (
        <div className="vtable-body" role="rowgroup" style={{ height: virtualizer.getTotalSize() }}>
          {virtualizer.getVirtualItems().map((item) => {
            const row = rows[item.index] as T;
            return (
              <div
                key={rowKey(row)}
                role="row"
                aria-rowindex={item.index + 2}
                className="vtable-row"
                style={{ gridTemplateColumns: template, height: rowHeight, transform: `translateY(${item.start}px)` }}
              >
                {columns.map((c) => (
                  <div key={c.key} role="cell" className={c.align === 'end' ? 'cell-end' : undefined}>
                    {c.render(row)}
                  </div>
                ))}
              </div>
            );
          })}
        </div>
      )}
    </div>
  );
}

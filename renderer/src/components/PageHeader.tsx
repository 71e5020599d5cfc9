import type { ReactNode } from 'react';

/** Title, one-line summary (the page's counters) and the page's primary actions. */
export function PageHeader({ title, summary, actions }: { title: string; summary?: ReactNode; actions?: ReactNode }) {
  return (
    <header className="page-header">
      <div>
        <h1>{title}</h1>
        {summary && <div className="page-summary">{summary}</div>}
      </div>
      {actions && <div className="page-actions">{actions}</div>}
    </header>
  );
}

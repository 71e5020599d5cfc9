/** "12 s ago", "3 min ago", "2 h ago", "4 d ago"; future times read "in …". */
export function formatRelative(iso: string | null | undefined, now: number): string {
  if (!iso) return '—';
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return '—';
  const diff = Math.round((now - t) / 1000);
  const abs = Math.abs(diff);
  const day = 86_400;
  const text =
    abs < 5
      ? 'just now'
      : abs < 60
        ? `${abs} s`
        : abs < 3600
          ? `${Math.floor(abs / 60)} min`
          : abs < day
            ? `${Math.floor(abs / 3600)} h`
            : abs < 60 * day
              ? `${Math.floor(abs / day)} d`
              : abs < 730 * day
                ? `${Math.floor(abs / (30 * day))} months`
                : `${Math.floor(abs / (365 * day))} years`;
  if (text === 'just now') return text;
  return diff >= 0 ? `${text} ago` : `in ${text}`;
}

/** mm:ss (or h:mm:ss) until `iso`; 0:00 once past. */
export function formatCountdown(iso: string, now: number): string {
  const left = Math.max(0, Math.floor((Date.parse(iso) - now) / 1000));
  const h = Math.floor(left / 3600);
  const m = Math.floor((left % 3600) / 60);
  const s = String(left % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${s}` : `${m}:${s}`;
}

/** Local date and time, second precision, for tooltips and tables. */
export function formatTimestamp(iso: string | number | null | undefined): string {
  if (iso === null || iso === undefined) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '—';
  const pad = (n: number): string => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** HH:MM:SS only, for dense tables where the date is implied. */
export function formatClock(iso: string): string {
  return formatTimestamp(iso).slice(11);
}

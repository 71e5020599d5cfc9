/** Readable output for people; scripts use --json. */
export function formatHuman(value: unknown): string {
  if (Array.isArray(value)) return table(value);
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>);
    const arrays = entries.filter(([, v]) => Array.isArray(v));
    // { rows: [...] } / { events: [...], total } read best as the table plus the scalars.
    if (arrays.length === 1) {
      const rest = entries.filter(([, v]) => !Array.isArray(v));
      return [table(arrays[0]![1] as unknown[]), ...rest.map(([k, v]) => `${k}: ${cell(v)}`)].join('\n');
    }
    return entries
      .map(([k, v]) => `${k}: ${typeof v === 'object' && v !== null ? JSON.stringify(v) : cell(v)}`)
      .join('\n');
  }
  return cell(value);
}

function cell(v: unknown): string {
  if (v === null || v === undefined) return '-';
  if (Array.isArray(v))
    return v.every((x) => typeof x !== 'object')
      ? v.map((x) => String(x as string | number | boolean)).join(',')
      : JSON.stringify(v);
  if (typeof v === 'object') return JSON.stringify(v);
  return typeof v === 'string' ? v : JSON.stringify(v);
}

/** Flattens one level (`config.name`) so decky views show their useful columns. */
function flat(row: unknown): Record<string, unknown> {
  if (!row || typeof row !== 'object') return { value: row };
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(row as Record<string, unknown>)) {
    if (v && typeof v === 'object' && !Array.isArray(v) && k === 'config')
      for (const [k2, v2] of Object.entries(v as Record<string, unknown>)) out[k2] = v2;
    else out[k] = v;
  }
  return out;
}

const MAX_CELL = 48;

function table(rows: readonly unknown[]): string {
  if (rows.length === 0) return '(none)';
  const flatRows = rows.map(flat);
  const cols = [...new Set(flatRows.flatMap((r) => Object.keys(r)))].filter((c) =>
    flatRows.some((r) => typeof r[c] !== 'object' || Array.isArray(r[c]) || r[c] === null),
  );
  const text = flatRows.map((r) =>
    cols.map((c) => {
      const s = cell(r[c]);
      return s.length > MAX_CELL ? `${s.slice(0, MAX_CELL - 1)}…` : s;
    }),
  );
  const widths = cols.map((c, i) => Math.max(c.length, ...text.map((t) => t[i]!.length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((s, i) => s.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return [line(cols), ...text.map(line)].join('\n');
}

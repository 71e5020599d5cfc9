import { formatTimestamp } from '../../lib/time';
import { type Buckets, niceCeil, serviceColor } from './event-buckets';

const W = 960;
const H = 220;
const PAD = { top: 12, right: 12, bottom: 26, left: 40 };

/** Stacked bars of events per time bucket, one colour per service, hand-drawn in SVG. */
export function EventsChart({ data }: { data: Buckets }) {
  const { buckets, services, width } = data;
  const yMax = niceCeil(data.max);
  const plotW = W - PAD.left - PAD.right;
  const plotH = H - PAD.top - PAD.bottom;
  const slot = plotW / Math.max(1, buckets.length);
  const barW = Math.max(2, slot * 0.72);
  const y = (v: number): number => PAD.top + plotH - (v / yMax) * plotH;
  const ticks = [0, 0.25, 0.5, 0.75, 1].map((f) => f * yMax);
  const labelEvery = Math.ceil(buckets.length / 8);
  const dayScale = width >= 24 * 60 * 60_000;

  return (
    <figure className="chart">
      <svg
        viewBox={`0 0 ${W} ${H}`}
        role="img"
        aria-label={`Events over time per service, ${services.length} services`}
        preserveAspectRatio="none"
      >
        {ticks.map((t) => (
          <g key={t}>
            <line x1={PAD.left} x2={W - PAD.right} y1={y(t)} y2={y(t)} className="chart-grid" />
            <text x={PAD.left - 8} y={y(t) + 4} textAnchor="end" className="chart-label">
              {t}
            </text>
          </g>
        ))}
        {buckets.map((b, i) => {
          let acc = 0;
          const x = PAD.left + i * slot + (slot - barW) / 2;
          return (
            <g key={b.start}>
              <title>{`${formatTimestamp(b.start)} — ${b.total} event(s)${services
                .filter((s) => b.counts[s])
                .map((s) => `\n${s}: ${b.counts[s]}`)
                .join('')}`}</title>
              {services.map((s) => {
                const n = b.counts[s] ?? 0;
                if (!n) return null;
                const top = y(acc + n);
                const h = y(acc) - top;
                acc += n;
                return (
                  <rect key={s} x={x} y={top} width={barW} height={Math.max(h, 1)} fill={serviceColor(s)} rx={1.5} />
                );
              })}
              {i % labelEvery === 0 && (
                <text x={x + barW / 2} y={H - 8} textAnchor="middle" className="chart-label">
                  {dayScale ? formatTimestamp(b.start).slice(5, 10) : formatTimestamp(b.start).slice(11, 16)}
                </text>
              )}
            </g>
          );
        })}
      </svg>
      <figcaption className="legend">
        {services.length === 0 && <span className="muted small">No events in this window.</span>}
        {services.map((s) => (
          <span key={s} className="legend-item">
            <span className="legend-swatch" style={{ background: serviceColor(s) }} />
            {s}
            <span className="muted">{buckets.reduce((n, b) => n + (b.counts[s] ?? 0), 0)}</span>
          </span>
        ))}
        <span className="muted small legend-note">
          {width >= 3_600_000 ? `${Math.round(width / 3_600_000)} h` : `${Math.round(width / 60_000)} min`} per bar
        </span>
      </figcaption>
    </figure>
  );
}

/** Service names as compact chips; long lists collapse to "+N" with the rest in the tooltip. */
export function ServiceChips({ services, max = 5 }: { services: readonly string[]; max?: number }) {
  const shown = services.slice(0, max);
  const rest = services.slice(max);
  return (
    <span className="chips">
      {shown.map((s) => (
        <span key={s} className="chip">
          {s}
        </span>
      ))}
      {rest.length > 0 && (
        <span className="chip chip-more" title={rest.join(', ')}>
          +{rest.length}
        </span>
      )}
    </span>
  );
}

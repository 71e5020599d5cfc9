import { findPortClash, isServiceName } from '../../../../shared/catalog/services';
import { useCommand } from '../../api/use-command';

/** Multi-select over the service catalogue, as toggle chips; flags port clashes before the master does. */
export function ServicePicker({
  value,
  onChange,
  label = 'Services',
}: {
  value: readonly string[];
  onChange: (next: string[]) => void;
  label?: string;
}) {
  const catalog = useCommand('catalog.get', {}, { staleTime: Infinity });
  const toggle = (name: string): void =>
    onChange(value.includes(name) ? value.filter((v) => v !== name) : [...value, name]);
  const clash = findPortClash(value.filter(isServiceName));

  return (
    <fieldset className="picker">
      <legend>{label}</legend>
      <div className="picker-grid">
        {(catalog.data?.services ?? []).map((s) => {
          const on = value.includes(s.name);
          return (
            <button
              key={s.name}
              type="button"
              className={on ? 'pick on' : 'pick'}
              aria-pressed={on}
              onClick={() => toggle(s.name)}
              title={s.ports.join(', ')}
            >
              <span className="pick-name">{s.label}</span>
              <span className="pick-ports mono">{s.ports.join(' ')}</span>
            </button>
          );
        })}
      </div>
      {clash && <div className="field-error">Port clash: {clash}</div>}
    </fieldset>
  );
}

import { useId } from 'react';
import {
  describeInterval,
  clampToRange,
  intervalRange,
  type MutationMode,
  type MutationValue,
} from '../lib/mutate-interval';

type Props = {
  value: MutationValue;
  onChange: (next: MutationValue) => void;
  /** The fleet default, or undefined when the choice is the fleet default itself (Settings). */
  fleetDefault?: number | null;
  legend: string;
};

/** Radio choice (fleet default / every N minutes / off) with a 5–240 min slider for the custom interval. */
export function MutationChoice({ value, onChange, fleetDefault, legend }: Props) {
  const name = useId();
  const sliderId = useId();
  const modes: { mode: MutationMode; label: string; detail: string }[] = [
    ...(fleetDefault !== undefined
      ? [
          {
            mode: 'default' as const,
            label: 'Follow the fleet default',
            detail: `${describeInterval(fleetDefault)}, set in Settings`,
          },
        ]
      : []),
    {
      mode: 'custom',
      label: fleetDefault !== undefined ? 'Own interval' : 'Rotate services',
      detail: describeInterval(value.minutes),
    },
    { mode: 'off', label: 'Off', detail: 'services stay as deployed' },
  ];
  return (
    <fieldset className="choice-list">
      <legend>{legend}</legend>
      {modes.map((m) => (
        <label key={m.mode} className={value.mode === m.mode ? 'choice on' : 'choice'}>
          <input
            type="radio"
            name={name}
            checked={value.mode === m.mode}
            onChange={() => onChange({ ...value, mode: m.mode })}
          />
          <span className="choice-main">{m.label}</span>
          <span className="muted small">{m.detail}</span>
        </label>
      ))}
      {value.mode === 'custom' && (
        <div className="field">
          <label htmlFor={sliderId}>Minutes between mutations: {value.minutes}</label>
          <input
            id={sliderId}
            type="range"
            min={intervalRange.min}
            max={intervalRange.max}
            step={intervalRange.step}
            value={value.minutes}
            aria-valuetext={describeInterval(value.minutes)}
            onChange={(e) => onChange({ ...value, minutes: clampToRange(Number(e.target.value)) })}
          />
          <div className="field-help">
            {intervalRange.min} to {intervalRange.max} minutes. Each mutation draws one to three other services of the
            decky&apos;s archetype.
          </div>
        </div>
      )}
    </fieldset>
  );
}

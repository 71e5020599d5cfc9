import { type FormEvent, useState } from 'react';
import { intervalOf } from '../../../../shared/domain/decky';
import { useCommand, useCommandMutation } from '../../api/use-command';
import { Dialog } from '../../components/Dialog';
import { ErrorNotice } from '../../components/ErrorNotice';
import { MutationChoice } from '../../components/MutationChoice';
import { describeInterval, fromMutateInterval, type MutationValue, toMutateInterval } from '../../lib/mutate-interval';

/**
 * One decky's mutation schedule: follow the fleet default, its own interval, or off. Saving only
 * changes the schedule; the scheduler picks it up on its next pass, nothing restarts now.
 */
export function MutateIntervalDialog({ deckyName, onClose }: { deckyName: string; onClose: () => void }) {
  const deckies = useCommand('deckies.list', {});
  const settings = useCommand('settings.get', {});
  const save = useCommandMutation('deckies.setMutateInterval', ['deckies.list']);
  const [edited, setEdited] = useState<MutationValue | null>(null);
  const decky = deckies.data?.find((d) => d.config.name === deckyName);
  const fleetDefault = settings.data?.mutateInterval;

  const loading = !decky || fleetDefault === undefined;
  const current =
    decky && fleetDefault !== undefined ? fromMutateInterval(decky.config.mutateInterval, fleetDefault) : null;
  const value = edited ?? current;
  const stored = decky?.config.mutateInterval;
  // A CLI-set interval off the slider's 5-minute grid (say 1 min) is shown as it is, and kept unless edited.
  const offGrid = typeof stored === 'number' && current?.mode === 'custom' && current.minutes !== stored;

  const submit = (e: FormEvent): void => {
    e.preventDefault();
    if (!value || !edited) return;
    const mutateInterval = toMutateInterval(value);
    save.mutate({ deckyName, ...(mutateInterval !== undefined && { mutateInterval }) }, { onSuccess: onClose });
  };

  return (
    <Dialog
      title={`Mutation schedule of ${deckyName}`}
      subtitle="How often this decky swaps its services for others of its archetype."
      onClose={onClose}
    >
      <form className="stack" onSubmit={submit}>
        {(deckies.error ?? settings.error) && <ErrorNotice error={deckies.error ?? settings.error} />}
        {loading && !deckies.error && !settings.error && <div className="loading">Loading…</div>}
        {deckies.data && !decky && <div className="notice notice-bad">No decky named {deckyName} any more.</div>}
        {decky && value && fleetDefault !== undefined && (
          <>
            <div className="muted small">
              Now: {describeInterval(intervalOf(decky.config, fleetDefault))}
              {stored === undefined && ' (the fleet default)'}.
            </div>
            {offGrid && (
              <div className="notice notice-warn">
                This decky was set to {describeInterval(stored)} from the command line; saving here moves it onto the
                5-minute grid.
              </div>
            )}
            <MutationChoice legend="Periodic mutation" value={value} fleetDefault={fleetDefault} onChange={setEdited} />
          </>
        )}
        {save.error && <ErrorNotice error={save.error} />}
        <div className="dialog-inline-foot">
          <button type="button" className="btn btn-ghost" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="btn btn-primary" disabled={!edited || save.isPending}>
            {save.isPending ? 'Saving…' : 'Save'}
          </button>
        </div>
      </form>
    </Dialog>
  );
}

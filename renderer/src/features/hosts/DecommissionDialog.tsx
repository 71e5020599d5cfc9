import { type FormEvent, useState } from 'react';
import { useCommandMutation } from '../../api/use-command';
import { Dialog } from '../../components/Dialog';
import { ErrorNotice } from '../../components/ErrorNotice';
import { Field } from '../../components/Field';
import { Icon } from '../../components/Icon';

/** Two-step confirm: read what happens, then type the host's name to arm the button. */
export function DecommissionDialog({
  hostUuid,
  hostName,
  onClose,
}: {
  hostUuid: string;
  hostName: string;
  onClose: () => void;
}) {
  const [step, setStep] = useState<1 | 2>(1);
  const [typed, setTyped] = useState('');
  const decommission = useCommandMutation('hosts.decommission', ['hosts.list', 'deckies.list']);

  const submit = (e: FormEvent): void => {
    e.preventDefault();
    if (typed === hostName && !decommission.isPending) decommission.mutate({ hostUuid });
  };

  if (decommission.data) {
    const { wiped, failedRows } = decommission.data;
    return (
      <Dialog
        title={`${hostName} decommissioned`}
        onClose={onClose}
        footer={
          <button type="button" className="btn btn-primary" onClick={onClose}>
            Close
          </button>
        }
      >
        <div className={`notice ${wiped ? 'notice-ok' : 'notice-warn'}`}>
          <Icon name={wiped ? 'check' : 'alert'} />
          <div>
            {wiped
              ? 'The agent wiped itself.'
              : 'The agent could not be told to wipe itself; remove its files by hand.'}{' '}
            Its certificate is revoked: heartbeats and events from it are refused.
            {failedRows > 0 && ` ${failedRows} pending operation(s) were marked failed.`}
          </div>
        </div>
      </Dialog>
    );
  }

  return (
    <Dialog title={`Decommission ${hostName}`} subtitle={`Step ${step} of 2`} onClose={onClose}>
      {step === 1 ? (
        <div className="stack">
          <div className="notice notice-warn">
            <Icon name="alert" />
            <div>
              This tears down every decky and topology on <strong>{hostName}</strong>, asks its agent to erase itself,
              and revokes its certificate. It cannot be undone: the host must be enrolled again to come back.
            </div>
          </div>
          <div className="dialog-inline-foot">
            <button type="button" className="btn btn-ghost" onClick={onClose}>
              Cancel
            </button>
            <button type="button" className="btn btn-danger" data-autofocus onClick={() => setStep(2)}>
              Continue
            </button>
          </div>
        </div>
      ) : (
        <form className="stack" onSubmit={submit}>
          <Field label={`Type "${hostName}" to confirm`} htmlFor="decom-name">
            <input
              id="decom-name"
              data-autofocus
              value={typed}
              onChange={(e) => setTyped(e.target.value)}
              autoComplete="off"
              spellCheck={false}
            />
          </Field>
          {decommission.error && <ErrorNotice error={decommission.error} />}
          <div className="dialog-inline-foot">
            <button type="button" className="btn btn-ghost" onClick={() => setStep(1)}>
              Back
            </button>
            <button type="submit" className="btn btn-danger" disabled={typed !== hostName || decommission.isPending}>
              {decommission.isPending ? 'Decommissioning…' : 'Decommission host'}
            </button>
          </div>
        </form>
      )}
    </Dialog>
  );
}

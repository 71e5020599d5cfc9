import { type FormEvent, useState } from 'react';
import type { CommandOutput } from '../../../../shared/ipc/types';
import { useCommand, useCommandMutation } from '../../api/use-command';
import { Dialog } from '../../components/Dialog';
import { ErrorNotice } from '../../components/ErrorNotice';
import { ServiceChips } from '../../components/ServiceChips';
import { useOperationsStore } from '../../stores/operations-store';
import { type DeployDraft, draftToRequest, emptyDraft } from './deploy-draft';
import { MutationStep, PersonaStep, ProfileStep, TargetStep } from './DeploySteps';
import { describeInterval } from '../../lib/mutate-interval';
import { LifecycleProgress } from './LifecycleProgress';

const steps = ['Target', 'Profile', 'Persona', 'Mutation', 'Preview'] as const;
const PREVIEW = steps.indexOf('Preview');

function PlanTable({ plan, hostNames }: { plan: CommandOutput<'deckies.plan'>; hostNames: Map<string, string> }) {
  return (
    <div className="table-wrap table-wrap-short">
      <table className="table table-dense">
        <thead>
          <tr>
            <th>Name</th>
            <th>IP</th>
            <th>Host</th>
            <th>Services</th>
            <th>Distro</th>
          </tr>
        </thead>
        <tbody>
          {plan.deckies.map((d) => (
            <tr key={d.name}>
              <td className="mono strong">{d.name}</td>
              <td className="mono">{d.ip}</td>
              <td>{d.hostUuid ? (hostNames.get(d.hostUuid) ?? d.hostUuid.slice(0, 8)) : 'local'}</td>
              <td>
                <ServiceChips services={d.services} />
              </td>
              <td>{d.distro}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/**
 * Deploy wizard: target → profile → persona → preview (`deckies.plan`, no side effect) → deploy.
 * `deckies.deploy` returns lifecycle ids at once; progress then streams in without blocking, and
 * the dialog may be closed at any time (the operations tray keeps tracking).
 */
export function DeployWizard({ onClose }: { onClose: () => void }) {
  const [draft, setDraft] = useState<DeployDraft>(emptyDraft);
  const [step, setStep] = useState(0);
  const [deployed, setDeployed] = useState<{ ids: string[]; names: Record<string, string> } | null>(null);
  const catalog = useCommand('catalog.get', {}, { staleTime: Infinity });
  const hosts = useCommand('hosts.list', {});
  const plan = useCommandMutation('deckies.plan');
  const deploy = useCommandMutation('deckies.deploy', ['deckies.list']);
  const track = useOperationsStore((s) => s.track);

  const archetypeServices = catalog.data?.archetypes.find((a) => a.name === draft.archetype)?.services ?? [];
  const chosen = draft.mode === 'archetype' ? archetypeServices : draft.services;
  const { request, errors } = draftToRequest(draft, archetypeServices);
  const hostNames = new Map((hosts.data ?? []).map((h) => [h.uuid, h.name]));
  const update = (patch: Partial<DeployDraft>): void => {
    setDraft((d) => ({ ...d, ...patch }));
    plan.reset(); // any edit invalidates the preview
  };

  const fleetDefault = useCommand('settings.get', {}).data?.mutateInterval ?? null;
  const planned = request?.mutateInterval;
  const mutationSummary =
    planned === undefined ? `${describeInterval(fleetDefault)} (the fleet default)` : describeInterval(planned);
  const canNext = step === 1 ? (draft.mode === 'archetype' ? draft.archetype !== '' : draft.services.length > 0) : true;

  const submit = (e: FormEvent): void => {
    e.preventDefault();
    if (step < PREVIEW - 1) {
      if (canNext) setStep(step + 1);
    } else if (step === PREVIEW - 1) {
      if (!request) return;
      setStep(PREVIEW);
      plan.mutate(request);
    } else if (plan.data && request && !deploy.isPending) {
      // Deploy exactly the previewed names and addresses: a collision since the preview is a 409, not a surprise.
      const { count: _count, ...rest } = request;
      deploy.mutate(
        { ...rest, deckies: plan.data.deckies.map((d) => ({ name: d.name, ip: d.ip })) },
        {
          onSuccess: (res) => {
            // The master answers ids and names in the same order.
            const names = Object.fromEntries(res.lifecycleIds.map((id, i) => [id, res.deckies[i] ?? '']));
            track(
              `Deploy ${res.deckies.length} ${res.deckies.length === 1 ? 'decky' : 'deckies'}`,
              res.lifecycleIds,
              names,
            );
            setDeployed({ ids: res.lifecycleIds, names });
          },
        },
      );
    }
  };

  if (deployed) {
    return (
      <Dialog
        title="Deploying"
        subtitle="You can close this window; progress stays in the Operations tray."
        onClose={onClose}
        wide
        footer={
          <button type="button" className="btn btn-primary" onClick={onClose}>
            Close
          </button>
        }
      >
        <LifecycleProgress ids={deployed.ids} names={deployed.names} />
      </Dialog>
    );
  }

  return (
    <Dialog title="Deploy deckies" onClose={onClose} wide>
      <ol className="stepper" aria-label="Steps">
        {steps.map((s, i) => (
          <li
            key={s}
            className={i === step ? 'current' : i < step ? 'done' : undefined}
            aria-current={i === step ? 'step' : undefined}
          >
            <span className="step-num">{i + 1}</span>
            {s}
          </li>
        ))}
      </ol>
      <form className="stack" onSubmit={submit}>
        {step === 0 && <TargetStep draft={draft} update={update} />}
        {step === 1 && <ProfileStep draft={draft} update={update} />}
        {step === 2 && <PersonaStep draft={draft} update={update} chosen={chosen} />}
        {step === 3 && <MutationStep draft={draft} update={update} />}
        {step === PREVIEW && (
          <div className="stack">
            {plan.isPending && <div className="loading">Planning names and addresses…</div>}
            {plan.error && <ErrorNotice error={plan.error} onRetry={() => request && plan.mutate(request)} />}
            {plan.data && (
              <>
                <div className="muted">
                  {plan.data.deckies.length} {plan.data.deckies.length === 1 ? 'decky' : 'deckies'} will be deployed:
                </div>
                {plan.data.warnings.map((w) => (
                  <div key={w} className="notice notice-warn">
                    {w}
                  </div>
                ))}
                <div className="muted small">Periodic mutation: {mutationSummary}.</div>
                <PlanTable plan={plan.data} hostNames={hostNames} />
              </>
            )}
          </div>
        )}
        {step >= 2 && errors.length > 0 && (
          <div className="notice notice-bad" role="alert">
            {errors.join('; ')}
          </div>
        )}
        {deploy.error && <ErrorNotice error={deploy.error} />}
        <div className="dialog-inline-foot">
          <button type="button" className="btn btn-ghost" onClick={step === 0 ? onClose : () => setStep(step - 1)}>
            {step === 0 ? 'Cancel' : 'Back'}
          </button>
          {step < PREVIEW - 1 && (
            <button type="submit" className="btn btn-primary" disabled={!canNext}>
              Next
            </button>
          )}
          {step === PREVIEW - 1 && (
            <button type="submit" className="btn btn-primary" disabled={!request}>
              Preview
            </button>
          )}
          {step === PREVIEW && (
            <button type="submit" className="btn btn-primary" disabled={!plan.data || deploy.isPending}>
              {deploy.isPending ? 'Deploying…' : `Deploy ${plan.data?.deckies.length ?? ''}`}
            </button>
          )}
        </div>
      </form>
    </Dialog>
  );
}

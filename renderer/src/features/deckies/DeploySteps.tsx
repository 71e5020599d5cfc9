import { defaultNamePatterns, servicesNamePattern } from '../../../../shared/catalog/naming';
import { services as serviceCatalog, isServiceName } from '../../../../shared/catalog/services';
import { useCommand } from '../../api/use-command';
import { StateBadge } from '../../components/Badge';
import { ErrorNotice } from '../../components/ErrorNotice';
import { Field } from '../../components/Field';
import { Icon } from '../../components/Icon';
import type { DeployDraft } from './deploy-draft';
import { MutationChoice } from '../../components/MutationChoice';
import { ServicePicker } from './ServicePicker';

type StepProps = { draft: DeployDraft; update: (patch: Partial<DeployDraft>) => void };

/** Step 1: where the deckies run, and how many. */
export function TargetStep({ draft, update }: StepProps) {
  const hosts = useCommand('hosts.list', {});
  const live = (hosts.data ?? []).filter((h) => h.liveness === 'online');
  return (
    <div className="stack">
      <fieldset className="choice-list">
        <legend>Target</legend>
        <label className={draft.target === 'spread' ? 'choice on' : 'choice'}>
          <input
            type="radio"
            name="target"
            checked={draft.target === 'spread'}
            onChange={() => update({ target: 'spread' })}
          />
          <span className="choice-main">Spread over live hosts</span>
          <span className="muted small">{live.length} online</span>
        </label>
        {(hosts.data ?? []).map((h) => (
          <label key={h.uuid} className={draft.target === h.uuid ? 'choice on' : 'choice'}>
            <input
              type="radio"
              name="target"
              checked={draft.target === h.uuid}
              onChange={() => update({ target: h.uuid })}
            />
            <span className="choice-main">
              {h.name} {h.local && <span className="tag">local</span>}
            </span>
            <span className="muted small mono">{h.address ?? ''}</span>
            <StateBadge state={h.liveness} />
          </label>
        ))}
      </fieldset>
      <Field label="Number of deckies" htmlFor="deploy-count" help="1 to 500 per request.">
        <input
          id="deploy-count"
          type="number"
          min={1}
          max={500}
          value={draft.count}
          onChange={(e) => update({ count: Math.max(1, Math.min(500, Number(e.target.value) || 1)) })}
        />
      </Field>
    </div>
  );
}

/** Step 2: an archetype or a hand-picked service list, and the distro the deckies claim. */
export function ProfileStep({ draft, update }: StepProps) {
  const catalog = useCommand('catalog.get', {}, { staleTime: Infinity });
  return (
    <div className="stack">
      <div className="tabs" role="tablist">
        <button
          type="button"
          role="tab"
          aria-selected={draft.mode === 'archetype'}
          className={draft.mode === 'archetype' ? 'tab active' : 'tab'}
          onClick={() => update({ mode: 'archetype' })}
        >
          Archetype
        </button>
        <button
          type="button"
          role="tab"
          aria-selected={draft.mode === 'services'}
          className={draft.mode === 'services' ? 'tab active' : 'tab'}
          onClick={() => update({ mode: 'services' })}
        >
          Services
        </button>
      </div>
      {draft.mode === 'archetype' ? (
        <div className="card-grid" role="radiogroup" aria-label="Archetype">
          {(catalog.data?.archetypes ?? []).map((a) => (
            <button
              key={a.name}
              type="button"
              role="radio"
              aria-checked={draft.archetype === a.name}
              className={draft.archetype === a.name ? 'pick-card on' : 'pick-card'}
              onClick={() => update({ archetype: a.name })}
            >
              <span className="pick-name">{a.label}</span>
              <span className="muted small">{a.services.join(' · ')}</span>
            </button>
          ))}
        </div>
      ) : (
        <ServicePicker value={draft.services} onChange={(services) => update({ services })} />
      )}
      <Field
        label="Distro"
        htmlFor="deploy-distro"
        help="Banners and versions follow the distro, so a decky stays self-consistent."
      >
        <select id="deploy-distro" value={draft.distro} onChange={(e) => update({ distro: e.target.value })}>
          <option value="">Default for the archetype</option>
          {(catalog.data?.distros ?? []).map((d) => (
            <option key={d.name} value={d.name}>
              {d.label}
            </option>
          ))}
        </select>
      </Field>
    </div>
  );
}

/** Step 3 (optional): name prefix and persona keys of the chosen services. */
export function PersonaStep({ draft, update, chosen }: StepProps & { chosen: readonly string[] }) {
  const setKey = (svc: string, key: string, value: string): void =>
    update({ persona: { ...draft.persona, [svc]: { ...draft.persona[svc], [key]: value } } });
  const withKeys = chosen.filter(isServiceName).filter((s) => Object.keys(serviceCatalog[s].persona).length > 0);
  return (
    <div className="stack">
      <Field
        label="Names"
        htmlFor="deploy-names"
        help="Empty: names like the organisation's machines. A prefix gives <prefix>-01, <prefix>-02, …; a pattern uses {n} {nnn} {nnnn} {dept} {role} {site} {floor} {vendor} {env}."
      >
        <input
          id="deploy-names"
          value={draft.names}
          placeholder={
            draft.mode === 'archetype' && Object.hasOwn(defaultNamePatterns, draft.archetype)
              ? defaultNamePatterns[draft.archetype as keyof typeof defaultNamePatterns]
              : servicesNamePattern
          }
          onChange={(e) => update({ names: e.target.value.toLowerCase().replace(/\s+/g, '-') })}
        />
      </Field>
      <p className="muted small">Persona settings are optional; empty fields keep the distro's defaults.</p>
      {withKeys.map((svc) => (
        <details
          key={svc}
          className="persona"
          open={withKeys.length === 1 || Object.values(draft.persona[svc] ?? {}).some(Boolean)}
        >
          <summary>
            <Icon name="chevron" size={14} />
            {serviceCatalog[svc].label}
            <span className="muted small">{Object.keys(serviceCatalog[svc].persona).join(' · ')}</span>
          </summary>
          <div className="grid-2">
            {Object.entries(serviceCatalog[svc].persona as Record<string, { type: string; help: string }>).map(
              ([key, def]) => {
                const id = `persona-${svc}-${key}`;
                const value = draft.persona[svc]?.[key] ?? '';
                return (
                  <Field key={key} label={key} htmlFor={id} help={def.help}>
                    {def.type === 'bool' ? (
                      <select id={id} value={value} onChange={(e) => setKey(svc, key, e.target.value)}>
                        <option value="">default</option>
                        <option value="true">yes</option>
                        <option value="false">no</option>
                      </select>
                    ) : (
                      <input
                        id={id}
                        type={def.type === 'secret' ? 'password' : def.type === 'int' ? 'number' : 'text'}
                        value={value}
                        onChange={(e) => setKey(svc, key, e.target.value)}
                        autoComplete="off"
                      />
                    )}
                  </Field>
                );
              },
            )}
          </div>
        </details>
      ))}
    </div>
  );
}

/** Step 4: periodic mutation (on by default through the fleet default), so the decoys do not look frozen. */
export function MutationStep({ draft, update }: StepProps) {
  const settings = useCommand('settings.get', {});
  const fleetDefault = settings.data?.mutateInterval;
  return (
    <div className="stack">
      <p className="muted small">
        A mutating decky swaps its services for another one to three of its archetype&apos;s on a schedule, so a
        returning attacker does not find the same machine frozen in time.
      </p>
      {settings.error ? (
        <ErrorNotice error={settings.error} onRetry={() => void settings.refetch()} />
      ) : fleetDefault === undefined ? (
        <div className="loading">Loading the fleet default…</div>
      ) : (
        <MutationChoice
          legend="Periodic mutation"
          value={draft.mutation}
          fleetDefault={fleetDefault}
          onChange={(mutation) => update({ mutation })}
        />
      )}
      {draft.mode === 'services' && draft.mutation.mode !== 'off' && (
        <p className="muted small">
          Without an archetype, mutations draw from the services that deckies of the same OS family run.
        </p>
      )}
    </div>
  );
}

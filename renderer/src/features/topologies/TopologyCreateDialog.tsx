import { type FormEvent, useState } from 'react';
import { useCommand, useCommandMutation } from '../../api/use-command';
import { Dialog } from '../../components/Dialog';
import { ErrorNotice } from '../../components/ErrorNotice';
import { Field } from '../../components/Field';
import { Icon } from '../../components/Icon';
import {
  type DeckyDraft,
  type LanDraft,
  type TopologyForm,
  formToDraft,
  newDecky,
  newLan,
  suggestIp,
} from './topology-draft';

function ServiceList({ value, onChange, label }: { value: string[]; onChange: (v: string[]) => void; label: string }) {
  const catalog = useCommand('catalog.get', {}, { staleTime: Infinity });
  const free = (catalog.data?.services ?? []).filter((s) => !value.includes(s.name));
  return (
    <div className="chips chips-edit">
      {value.map((s) => (
        <span key={s} className="chip">
          {s}
          <button
            type="button"
            className="chip-x"
            aria-label={`Remove ${s} from ${label}`}
            onClick={() => onChange(value.filter((v) => v !== s))}
          >
            <Icon name="x" size={10} />
          </button>
        </span>
      ))}
      <select
        aria-label={`Add a service to ${label}`}
        value=""
        onChange={(e) => e.target.value && onChange([...value, e.target.value])}
      >
        <option value="">+ service</option>
        {free.map((s) => (
          <option key={s.name} value={s.name}>
            {s.label}
          </option>
        ))}
      </select>
    </div>
  );
}

/** Topology editor: LANs (subnet, DMZ), deckies (services, an address per attached LAN). */
export function TopologyCreateDialog({ onClose }: { onClose: () => void }) {
  const [form, setForm] = useState<TopologyForm>(() => {
    const lans = [newLan(0), newLan(1)];
    const first = newDecky(0);
    return { name: '', lans, deckies: [{ ...first, ips: { [lans[0]!.id]: suggestIp(lans[0]!.subnet, []) } }] };
  });
  const [tried, setTried] = useState(false);
  const create = useCommandMutation('topologies.create', ['topologies.list']);
  const { draft, errors } = formToDraft(form);

  const setLan = (id: string, patch: Partial<LanDraft>): void =>
    setForm((f) => ({ ...f, lans: f.lans.map((l) => (l.id === id ? { ...l, ...patch } : l)) }));
  const setDecky = (uuid: string, patch: Partial<DeckyDraft>): void =>
    setForm((f) => ({ ...f, deckies: f.deckies.map((d) => (d.uuid === uuid ? { ...d, ...patch } : d)) }));
  const attach = (d: DeckyDraft, lan: LanDraft, on: boolean): void => {
    const ips = { ...d.ips };
    if (on)
      ips[lan.id] = suggestIp(
        lan.subnet,
        form.deckies.map((x) => x.ips[lan.id] ?? ''),
      );
    else delete ips[lan.id];
    setDecky(d.uuid, { ips });
  };

  const submit = (e: FormEvent): void => {
    e.preventDefault();
    setTried(true);
    if (draft && !create.isPending) create.mutate(draft, { onSuccess: onClose });
  };

  return (
    <Dialog
      title="New topology"
      subtitle="LANs and the deckies attached to them; apply it to a host afterwards."
      onClose={onClose}
      wide
    >
      <form className="stack" onSubmit={submit}>
        <Field label="Name" htmlFor="topo-name">
          <input
            id="topo-name"
            data-autofocus
            value={form.name}
            onChange={(e) => setForm({ ...form, name: e.target.value })}
            placeholder="branch-office"
          />
        </Field>
        <section className="subsection">
          <div className="subsection-head">
            <h3>LANs</h3>
            <button
              type="button"
              className="btn btn-sm btn-ghost"
              onClick={() => setForm((f) => ({ ...f, lans: [...f.lans, newLan(f.lans.length)] }))}
            >
              <Icon name="plus" size={14} /> Add LAN
            </button>
          </div>
          {form.lans.map((l, i) => (
            <div key={l.id} className="inline-row">
              <input
                aria-label={`LAN ${i + 1} name`}
                value={l.name}
                onChange={(e) => setLan(l.id, { name: e.target.value })}
              />
              <input
                aria-label={`LAN ${i + 1} subnet`}
                className="mono"
                value={l.subnet}
                onChange={(e) => setLan(l.id, { subnet: e.target.value })}
              />
              <label className="check">
                <input type="checkbox" checked={l.isDmz} onChange={(e) => setLan(l.id, { isDmz: e.target.checked })} />{' '}
                DMZ
              </label>
              <button
                type="button"
                className="icon-btn"
                aria-label={`Remove LAN ${l.name}`}
                onClick={() => setForm((f) => ({ ...f, lans: f.lans.filter((x) => x.id !== l.id) }))}
              >
                <Icon name="trash" size={14} />
              </button>
            </div>
          ))}
        </section>
        <section className="subsection">
          <div className="subsection-head">
            <h3>Deckies</h3>
            <button
              type="button"
              className="btn btn-sm btn-ghost"
              onClick={() => setForm((f) => ({ ...f, deckies: [...f.deckies, newDecky(f.deckies.length)] }))}
            >
              <Icon name="plus" size={14} /> Add decky
            </button>
          </div>
          {form.deckies.map((d, i) => (
            <div key={d.uuid} className="decky-card">
              <div className="inline-row">
                <input
                  aria-label={`Decky ${i + 1} name`}
                  className="mono"
                  value={d.name}
                  onChange={(e) => setDecky(d.uuid, { name: e.target.value.toLowerCase() })}
                />
                <ServiceList
                  label={d.name}
                  value={d.services}
                  onChange={(services) => setDecky(d.uuid, { services })}
                />
                <button
                  type="button"
                  className="icon-btn"
                  aria-label={`Remove decky ${d.name}`}
                  onClick={() => setForm((f) => ({ ...f, deckies: f.deckies.filter((x) => x.uuid !== d.uuid) }))}
                >
                  <Icon name="trash" size={14} />
                </button>
              </div>
              <div className="attach-grid">
                {form.lans.map((l) => {
                  const on = l.id in d.ips;
                  return (
                    <div key={l.id} className={on ? 'attach on' : 'attach'}>
                      <label className="check">
                        <input type="checkbox" checked={on} onChange={(e) => attach(d, l, e.target.checked)} /> {l.name}
                      </label>
                      {on && (
                        <input
                          aria-label={`${d.name} address on ${l.name}`}
                          className="mono"
                          value={d.ips[l.id]}
                          onChange={(e) => setDecky(d.uuid, { ips: { ...d.ips, [l.id]: e.target.value } })}
                        />
                      )}
                    </div>
                  );
                })}
              </div>
            </div>
          ))}
        </section>
        {tried && errors.length > 0 && (
          <div className="notice notice-bad" role="alert">
            <ul className="plain">
              {errors.slice(0, 6).map((e) => (
                <li key={e}>{e}</li>
              ))}
            </ul>
          </div>
        )}
        {create.error && <ErrorNotice error={create.error} />}
        <div className="dialog-inline-foot">
          <button type="button" className="btn btn-ghost" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="btn btn-primary" disabled={create.isPending || (tried && !draft)}>
            {create.isPending ? 'Saving…' : 'Create topology'}
          </button>
        </div>
      </form>
    </Dialog>
  );
}

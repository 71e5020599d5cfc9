import { type FormEvent, useState } from 'react';
import { networkDrivers } from '../../../../shared/domain/decky';
import { HostNetworkSettings, type HostSummary } from '../../../../shared/domain/host';
import { rangeHint } from '../../../../shared/domain/ip-range';
import { useCommand, useCommandMutation } from '../../api/use-command';
import { Dialog } from '../../components/Dialog';
import { ErrorNotice } from '../../components/ErrorNotice';
import { Field } from '../../components/Field';

type Draft = { driver: string; interface: string; deckyRange: string };

/** The settings as the form edits them: '' means "use what the agent reports". */
function draftOf(h: HostSummary | undefined): Draft {
  const s = h?.network?.settings ?? {};
  return { driver: s.driver ?? '', interface: s.interface ?? '', deckyRange: s.deckyRange ?? '' };
}

function settingsOf(d: Draft) {
  return HostNetworkSettings.safeParse({
    ...(d.driver ? { driver: d.driver } : {}),
    ...(d.interface.trim() ? { interface: d.interface.trim() } : {}),
    ...(d.deckyRange.trim() ? { deckyRange: d.deckyRange.trim() } : {}),
  });
}

/**
 * Where a worker's deckies live on its LAN. What the agent reports is shown as the default of each
 * field; the decky range steers the planner. Driver and parent interface are fixed by the worker's
 * agent.env when the agent starts: a deploy asking for others is refused with that fix, so the
 * form says so instead of pretending to switch them remotely.
 */
export function NetworkDialog({ hostUuid, onClose }: { hostUuid: string; onClose: () => void }) {
  const hosts = useCommand('hosts.list', {});
  const host = hosts.data?.find((h) => h.uuid === hostUuid);
  const save = useCommandMutation('hosts.setNetwork', ['hosts.list']);
  const [edited, setEdited] = useState<Draft | null>(null);
  const draft = edited ?? draftOf(host);
  const parsed = settingsOf(draft);
  const issue = parsed.success ? null : (parsed.error.issues[0]?.message ?? 'invalid settings');
  const reported = host?.network?.reported ?? null;
  const set = (patch: Partial<Draft>) => setEdited({ ...draft, ...patch });

  const submit = (e: FormEvent): void => {
    e.preventDefault();
    if (!parsed.success || !edited) return;
    save.mutate({ hostUuid, settings: parsed.data }, { onSuccess: onClose });
  };

  return (
    <Dialog
      title={`Network of ${host?.name ?? 'host'}`}
      subtitle="Where this worker's deckies take their addresses."
      onClose={onClose}
    >
      <form className="stack" onSubmit={submit}>
        {hosts.error && <ErrorNotice error={hosts.error} />}
        {hosts.data && !host && <div className="notice notice-bad">This host is no longer enrolled.</div>}
        {host && (
          <>
            <div className="muted small" data-testid="network-reported">
              {reported
                ? `The agent reports: ${reported.driver}${reported.interface ? ` on ${reported.interface}` : ''}${
                    reported.address ? `, ${reported.address}` : ''
                  }${reported.subnet ? ` in ${reported.subnet}` : ''}${reported.gateway ? `, gateway ${reported.gateway}` : ''}.`
                : 'The agent has not reported its network yet (no heartbeat since enrollment).'}
            </div>
            <Field
              label="Decky addresses"
              htmlFor="net-range"
              error={draft.deckyRange.trim() && issue?.startsWith('decky range') ? issue : null}
              help={`Empty: the whole ${reported?.subnet ?? 'subnet'} except the worker and its gateway. ${rangeHint}.`}
            >
              <input
                id="net-range"
                data-autofocus
                value={draft.deckyRange}
                placeholder={reported?.subnet ?? '192.168.1.200-192.168.1.250'}
                onChange={(e) => set({ deckyRange: e.target.value })}
                spellCheck={false}
              />
            </Field>
            <Field
              label="Driver"
              htmlFor="net-driver"
              help="Must match DECNET_AGENT_NETWORK in the worker's /etc/decnet/agent.env; a deploy asking for another is refused with that fix."
            >
              <select id="net-driver" value={draft.driver} onChange={(e) => set({ driver: e.target.value })}>
                <option value="">As reported{reported ? ` (${reported.driver})` : ''}</option>
                {networkDrivers.map((d) => (
                  <option key={d} value={d} disabled={host.local && d !== 'loopback'}>
                    {d}
                  </option>
                ))}
              </select>
            </Field>
            <Field
              label="Parent interface"
              htmlFor="net-iface"
              error={draft.interface.trim() && issue?.startsWith('interface') ? issue : null}
              help="Must match DECNET_AGENT_PARENT on the worker (default: the interface of its default route)."
            >
              <input
                id="net-iface"
                value={draft.interface}
                placeholder={reported?.interface ?? 'eth0'}
                onChange={(e) => set({ interface: e.target.value })}
                spellCheck={false}
              />
            </Field>
          </>
        )}
        {save.error && <ErrorNotice error={save.error} />}
        <div className="dialog-inline-foot">
          <button type="button" className="btn btn-ghost" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="btn btn-primary" disabled={!edited || !parsed.success || save.isPending}>
            {save.isPending ? 'Saving…' : 'Save'}
          </button>
        </div>
      </form>
    </Dialog>
  );
}

import { type FormEvent, useState } from 'react';
import { HostAddress, HostName } from '../../../../shared/domain/host';
import { useCommandMutation } from '../../api/use-command';
import { CodeBox } from '../../components/CodeBox';
import { Dialog } from '../../components/Dialog';
import { ErrorNotice } from '../../components/ErrorNotice';
import { Field } from '../../components/Field';
import { Icon } from '../../components/Icon';
import { downloadBase64 } from '../../lib/download';
import { formatCountdown } from '../../lib/time';
import { useNow } from '../../lib/use-now';

const tabs = ['join', 'bundle'] as const;
type Tab = (typeof tabs)[number];

function firstIssue(schema: typeof HostName, value: string): string | null {
  const r = schema.safeParse(value);
  return r.success ? null : (r.error.issues[0]?.message ?? 'invalid');
}

function JoinResult({ command, expiresAt, hostUuid }: { command: string; expiresAt: string; hostUuid: string }) {
  const now = useNow(1000);
  const expired = Date.parse(expiresAt) <= now;
  return (
    <div className="stack">
      <p>Run this on the new worker, as root. The token is single-use.</p>
      <CodeBox text={command} />
      {expired ? (
        <div className="notice notice-bad" role="alert">
          <Icon name="alert" /> This join token has expired. Generate a new one.
        </div>
      ) : (
        <div className="countdown" aria-live="off">
          <Icon name="pulse" size={14} /> Expires in <strong className="mono">{formatCountdown(expiresAt, now)}</strong>
        </div>
      )}
      <div className="kv">
        <span>Host UUID</span>
        <code>{hostUuid}</code>
      </div>
    </div>
  );
}

/** The worker tarball, saved next to the bundle so the enroll line needs nothing from the internet. */
function AgentPackage() {
  const pkg = useCommandMutation('hosts.agentPackage', []);
  return (
    <div className="stack">
      <p className="muted">
        The worker needs the agent installed first. Save the agent package, copy it to the worker, unpack and install
        it; then run the command above.
      </p>
      {pkg.data && <CodeBox text={pkg.data.command} />}
      {pkg.error && <ErrorNotice error={pkg.error} />}
      <div>
        <button
          type="button"
          className="btn"
          disabled={pkg.isPending}
          onClick={() => pkg.mutate({}, { onSuccess: (p) => downloadBase64(p.fileName, p.packageBase64) })}
        >
          <Icon name="download" /> {pkg.isPending ? 'Preparing…' : 'Save agent package'}
        </button>
      </div>
    </div>
  );
}

/** Enrollment wizard: a join command (default) or an offline bundle for air-gapped workers. */
export function EnrollDialog({ onClose }: { onClose: () => void }) {
  const [tab, setTab] = useState<Tab>('join');
  const [name, setName] = useState('');
  const [address, setAddress] = useState('');
  const [touched, setTouched] = useState(false);
  const enroll = useCommandMutation('hosts.enroll', ['hosts.list']);
  const bundle = useCommandMutation('hosts.exportBundle', ['hosts.list']);

  const nameError = touched ? firstIssue(HostName, name) : null;
  const addressError = touched && (address !== '' || tab === 'bundle') ? firstIssue(HostAddress, address) : null;
  const valid =
    HostName.safeParse(name).success &&
    (tab === 'join'
      ? address === '' || HostAddress.safeParse(address).success
      : HostAddress.safeParse(address).success);
  const busy = enroll.isPending || bundle.isPending;

  const submit = (e: FormEvent): void => {
    e.preventDefault();
    setTouched(true);
    if (!valid || busy) return;
    if (tab === 'join') enroll.mutate(address ? { name, address } : { name });
    else bundle.mutate({ name, address }, { onSuccess: (b) => downloadBase64(b.fileName, b.bundleBase64) });
  };

  const reset = (): void => {
    enroll.reset();
    bundle.reset();
    setName('');
    setAddress('');
    setTouched(false);
  };

  const done = tab === 'join' ? enroll.data : bundle.data;
  const error = tab === 'join' ? enroll.error : bundle.error;

  return (
    <Dialog
      title="Enroll host"
      subtitle="Give a worker its identity, signed by this console's CA."
      onClose={onClose}
      wide
    >
      <div className="tabs" role="tablist">
        {tabs.map((t) => (
          <button
            key={t}
            type="button"
            role="tab"
            aria-selected={tab === t}
            className={tab === t ? 'tab active' : 'tab'}
            onClick={() => setTab(t)}
          >
            {t === 'join' ? 'Join command' : 'Offline bundle'}
          </button>
        ))}
      </div>
      {done ? (
        <div className="stack">
          {tab === 'join' && enroll.data ? (
            <JoinResult
              command={enroll.data.command}
              expiresAt={enroll.data.expiresAt}
              hostUuid={enroll.data.hostUuid}
            />
          ) : bundle.data ? (
            <>
              <p>
                The bundle <code>{bundle.data.fileName}</code> holds the worker's private key: move it to the host by a
                trusted channel, then run:
              </p>
              <CodeBox text={bundle.data.command} />
              <div>
                <button
                  type="button"
                  className="btn"
                  onClick={() => downloadBase64(bundle.data.fileName, bundle.data.bundleBase64)}
                >
                  <Icon name="download" /> Download again
                </button>
              </div>
            </>
          ) : null}
          <AgentPackage />
          <div className="dialog-inline-foot">
            <button type="button" className="btn btn-ghost" onClick={reset}>
              Enroll another
            </button>
            <button type="button" className="btn btn-primary" onClick={onClose}>
              Done
            </button>
          </div>
        </div>
      ) : (
        <form className="stack" onSubmit={submit} noValidate>
          <p className="muted">
            {tab === 'join'
              ? 'The worker generates its own key and sends a signing request; the private key never travels.'
              : 'For air-gapped workers: the console writes the certificate and key into a .tar.gz to carry over.'}
          </p>
          <div className="grid-2">
            <Field
              label="Host name"
              htmlFor="enroll-name"
              error={nameError}
              help="Also written into the worker certificate."
            >
              <input
                id="enroll-name"
                data-autofocus
                value={name}
                onChange={(e) => setName(e.target.value.trim())}
                placeholder="worker-01"
                autoComplete="off"
              />
            </Field>
            <Field
              label={tab === 'join' ? 'Address (optional)' : 'Address'}
              htmlFor="enroll-address"
              error={addressError}
              help="IP or DNS name the master dials."
            >
              <input
                id="enroll-address"
                value={address}
                onChange={(e) => setAddress(e.target.value.trim())}
                placeholder="10.0.0.21"
                autoComplete="off"
              />
            </Field>
          </div>
          {error && <ErrorNotice error={error} />}
          <div className="dialog-inline-foot">
            <button type="button" className="btn btn-ghost" onClick={onClose}>
              Cancel
            </button>
            <button type="submit" className="btn btn-primary" disabled={busy || (touched && !valid)}>
              {busy ? 'Working…' : tab === 'join' ? 'Generate join command' : 'Create bundle'}
            </button>
          </div>
        </form>
      )}
    </Dialog>
  );
}

import { type FormEvent, useState } from 'react';
import { AccountName, AccountPassword, type AccountRole } from '../../../../shared/ipc/contract';
import { useCommand, useCommandMutation } from '../../api/use-command';
import { ErrorNotice } from '../../components/ErrorNotice';

/**
 * Console accounts: the built-in admin and named accounts with the admin or viewer (read-only)
 * role. Removing an account or changing its password ends its sessions at once.
 */
export function AccountsCard() {
  const accounts = useCommand('accounts.list', {});
  const create = useCommandMutation('accounts.create', ['accounts.list']);
  const remove = useCommandMutation('accounts.remove', ['accounts.list']);
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [role, setRole] = useState<AccountRole>('viewer');
  const [problem, setProblem] = useState<string | null>(null);
  const [confirming, setConfirming] = useState<string | null>(null);

  const submit = (e: FormEvent): void => {
    e.preventDefault();
    const n = AccountName.safeParse(username.trim());
    const p = AccountPassword.safeParse(password);
    const issue = !n.success ? n.error.issues[0]?.message : !p.success ? p.error.issues[0]?.message : null;
    setProblem(issue ?? null);
    if (issue || !n.success || !p.success) return;
    create.mutate(
      { username: n.data, password: p.data, role },
      {
        onSuccess: () => {
          setUsername('');
          setPassword('');
        },
      },
    );
  };

  return (
    <div className="card" aria-label="Accounts">
      <h3>Accounts</h3>
      {accounts.error && <ErrorNotice error={accounts.error} />}
      <ul className="plain-list">
        {(accounts.data ?? []).map((a) => (
          <li key={a.username}>
            <span className="mono strong">{a.username}</span> <span className="tag">{a.role}</span>
            {a.builtin && <span className="muted small"> built-in (password from DECNET_ADMIN_PASSWORD)</span>}
            {!a.builtin &&
              (confirming === a.username ? (
                <>
                  {' '}
                  <button
                    type="button"
                    className="btn btn-sm btn-danger"
                    onClick={() => remove.mutate({ username: a.username }, { onSettled: () => setConfirming(null) })}
                  >
                    Remove {a.username}
                  </button>
                  <button type="button" className="btn btn-sm btn-ghost" onClick={() => setConfirming(null)}>
                    Cancel
                  </button>
                </>
              ) : (
                <>
                  {' '}
                  <button
                    type="button"
                    className="btn btn-sm btn-danger-ghost"
                    onClick={() => setConfirming(a.username)}
                  >
                    Remove…
                  </button>
                </>
              ))}
          </li>
        ))}
      </ul>
      <form className="form-row" onSubmit={submit}>
        <input
          aria-label="New account name"
          placeholder="name"
          value={username}
          onChange={(e) => setUsername(e.target.value)}
        />
        <input
          aria-label="New account password"
          type="password"
          autoComplete="new-password"
          placeholder="password (12+ characters)"
          value={password}
          onChange={(e) => setPassword(e.target.value)}
        />
        <select
          aria-label="Role"
          value={role}
          onChange={(e) => setRole(e.target.value === 'admin' ? 'admin' : 'viewer')}
        >
          <option value="viewer">viewer (read-only)</option>
          <option value="admin">admin</option>
        </select>
        <button type="submit" className="btn btn-primary btn-sm" disabled={create.isPending}>
          Add account
        </button>
      </form>
      {problem && <div className="notice error">{problem}</div>}
      {(create.error ?? remove.error) && <ErrorNotice error={create.error ?? remove.error} />}
    </div>
  );
}

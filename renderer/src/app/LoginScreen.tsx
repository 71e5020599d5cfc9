import { type FormEvent, useState } from 'react';
import { login } from '../api/bridge';
import { ErrorNotice } from '../components/ErrorNotice';
import { Icon } from '../components/Icon';

/**
 * Browser mode only: `admin` with the password from DECNET_ADMIN_PASSWORD or `<data>/admin-password`,
 * or a named account an admin created in Settings.
 */
export function LoginScreen() {
  const [username, setUsername] = useState('admin');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);

  const submit = async (e: FormEvent): Promise<void> => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await login(password, username.trim() || 'admin');
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  };

  return (
    <div className="login">
      <form className="login-card" onSubmit={(e) => void submit(e)}>
        <div className="brand brand-lg">
          <Icon name="shield" size={28} />
          <span>DECNET</span>
        </div>
        <p className="muted">Sign in to the deception network console.</p>
        <div className="field">
          <label htmlFor="login-user">User</label>
          <input
            id="login-user"
            autoComplete="username"
            value={username}
            onChange={(e) => setUsername(e.target.value)}
            spellCheck={false}
          />
        </div>
        <div className="field">
          <label htmlFor="login-password">Password</label>
          <input
            id="login-password"
            type="password"
            autoComplete="current-password"
            autoFocus
            value={password}
            onChange={(e) => setPassword(e.target.value)}
          />
          <div className="field-help">
            For admin: set by DECNET_ADMIN_PASSWORD, or generated on first run into &lt;data&gt;/admin-password.
          </div>
        </div>
        {error !== null && <ErrorNotice error={error} />}
        <button type="submit" className="btn btn-primary btn-block" disabled={busy || password.length === 0}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </div>
  );
}

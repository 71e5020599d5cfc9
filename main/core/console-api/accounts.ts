import { randomBytes, scrypt as scryptCb, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { z } from 'zod';
import { AppError } from '../../../shared/errors';
import { AccountName, type AccountRole, type AccountView } from '../../../shared/ipc/contract';
import type { Store } from '../store/store';

/** The built-in account: its password is DECNET_ADMIN_PASSWORD or `<data>/admin-password`, never stored here. */
export const BUILTIN_ADMIN = 'admin';

/**
 * scrypt (memory-hard; N=2^15, r=8, p=1 is 32 MiB and ~50 ms here): a stolen master.json does not
 * give the passwords back cheaply. The parameters are stored per account so they can be raised.
 */
export const scryptParams = { N: 2 ** 15, r: 8, p: 1, keyLen: 32, maxmem: 64 * 1024 * 1024 } as const;

const Stored = z.strictObject({
  username: AccountName,
  role: z.enum(['admin', 'viewer']),
  salt: z.string(),
  hash: z.string(),
  N: z.number().int(),
  r: z.number().int(),
  p: z.number().int(),
  createdAt: z.string(),
});
type Stored = z.output<typeof Stored>;
const KEY = 'accounts';

function scrypt(password: string, salt: Buffer, o: { N: number; r: number; p: number }): Promise<Buffer> {
  const opts: ScryptOptions = { N: o.N, r: o.r, p: o.p, maxmem: scryptParams.maxmem };
  return new Promise((resolve, reject) =>
    scryptCb(password, salt, scryptParams.keyLen, opts, (err, key) => (err ? reject(err) : resolve(key))),
  );
}

/** Named analyst accounts beside the built-in admin, kept in master.json (settings `accounts`). */
export function createAccounts(store: Pick<Store, 'settings'>, now: () => string) {
  const read = (): Stored[] => {
    const parsed = z.array(Stored).safeParse(store.settings.get(KEY) ?? []);
    return parsed.success ? parsed.data : [];
  };
  const write = (list: Stored[]) => store.settings.set(KEY, list);
  const view = (a: Stored): AccountView => ({
    username: a.username,
    role: a.role,
    createdAt: a.createdAt,
    builtin: false,
  });
  const find = (name: string) => read().find((a) => a.username === name);
  const revoked: Array<(username: string) => void> = [];

  const hashOf = async (password: string) => {
    const salt = randomBytes(16);
    const key = await scrypt(password, salt, scryptParams);
    return {
      salt: salt.toString('base64'),
      hash: key.toString('base64'),
      N: scryptParams.N,
      r: scryptParams.r,
      p: scryptParams.p,
    };
  };

  return {
    list: (): AccountView[] => [
      { username: BUILTIN_ADMIN, role: 'admin', createdAt: null, builtin: true },
      ...read().map(view),
    ],
    async create(username: string, password: string, role: AccountRole): Promise<AccountView> {
      if (username === BUILTIN_ADMIN || find(username))
        throw new AppError('CONFLICT', `an account named ${username} already exists`);
      const rec: Stored = { username, role, ...(await hashOf(password)), createdAt: now() };
      // Re-read after the await: a concurrent create of the same name loses here, not silently.
      if (find(username)) throw new AppError('CONFLICT', `an account named ${username} already exists`);
      write([...read(), rec]);
      return view(rec);
    },
    async setPassword(username: string, password: string): Promise<void> {
      if (username === BUILTIN_ADMIN)
        throw new AppError('INVALID_INPUT', 'the admin password is DECNET_ADMIN_PASSWORD or <data>/admin-password');
      if (!find(username)) throw new AppError('NOT_FOUND', `no account named ${username}`);
      const h = await hashOf(password);
      write(read().map((a) => (a.username === username ? { ...a, ...h } : a)));
      for (const fn of revoked) fn(username);
    },
    remove(username: string): void {
      if (username === BUILTIN_ADMIN) throw new AppError('INVALID_INPUT', 'the built-in admin cannot be removed');
      if (!find(username)) throw new AppError('NOT_FOUND', `no account named ${username}`);
      write(read().filter((a) => a.username !== username));
      for (const fn of revoked) fn(username);
    },
    /** Told when an account's sessions must end (its password changed, or it was removed). */
    onRevoke: (fn: (username: string) => void) => void revoked.push(fn),
    /** The account's role when the password is right; null otherwise (the same time either way). */
    async verify(username: string, password: string): Promise<AccountRole | null> {
      const a = find(username);
      const salt = a ? Buffer.from(a.salt, 'base64') : randomBytes(16);
      const key = await scrypt(password, salt, a ?? scryptParams);
      if (!a) return null;
      const want = Buffer.from(a.hash, 'base64');
      return want.length === key.length && timingSafeEqual(want, key) ? a.role : null;
    },
  };
}

export type Accounts = ReturnType<typeof createAccounts>;

import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresService } from '../../../agent/services/db/postgres';
import { appDatabase } from '../../../agent/services/db/postgres-session';
import { makeTmpDir } from '../../helpers/tmp-dir';
import { startService, type ServiceHarness } from '../services/service-harness';
import { maskKey, md5Password, startup, typed } from './pg-wire';
import { exchange, showExchange, type Step } from './raw-exchange';
import { havePostgres, startRealPostgres, type RealPostgres } from './real-postgres';

/**
 * The persona's `auth: md5` against a real cluster with pg_hba `md5` (and md5-stored passwords, so
 * the method is not upgraded to SCRAM): the salted challenge and its answers. Salt and
 * BackendKeyData masked (per connection).
 */
const realIp = '127.21.5.23';
const oursIp = '127.21.5.24';
const decky = 'srv-db-02';
const login = { user: 'app', password: 'Spring2024', db: appDatabase(decky).name, method: 'md5' } as const;

const hashed =
  (password: string, user: string): Step =>
  (answers) =>
    md5Password(password, user, answers[0]!);

const cases: Record<string, Step[]> = {
  'unknown user': [startup([['user', 'nobody']]), hashed('guess', 'nobody')],
  'unknown user, a clear password': [startup([['user', 'nobody']]), typed('p', 'guess')],
  'right user, wrong password': [
    startup([
      ['user', 'app'],
      ['database', login.db],
    ]),
    hashed('wrong', 'app'),
  ],
  'right password': [
    startup([
      ['user', 'app'],
      ['database', login.db],
    ]),
    hashed(login.password, 'app'),
  ],
  'right password, unknown database': [
    startup([
      ['user', 'app'],
      ['database', 'nodb'],
    ]),
    hashed(login.password, 'app'),
  ],
};

if (!havePostgres) console.warn('postgres md5 fidelity skipped: /usr/lib/postgresql/15/bin missing (postgresql-15)');

describe.skipIf(!havePostgres)('postgres md5 fidelity against Debian 12 PostgreSQL 15', () => {
  let tmp: { dir: string; remove: () => Promise<void> };
  let real: RealPostgres | undefined;
  let ours: ServiceHarness | undefined;

  beforeAll(async () => {
    tmp = await makeTmpDir('decnet-fidelity-pgmd5-');
    real = await startRealPostgres(join(tmp.dir, 'real'), realIp, login);
    const persona = { version: real.version, auth: 'md5', users: `${login.user}:${login.password}` };
    ours = await startService(
      postgresService,
      { ip: oursIp, name: decky, distro: 'debian', serviceConfig: { postgres: persona } },
      { dataDir: join(tmp.dir, 'ours') },
    );
  }, 90_000);
  afterAll(async () => {
    await ours?.stop();
    await real?.stop();
    await tmp?.remove();
  });

  it('asks for md5 and answers each attempt as the real one does', async () => {
    const diffs: string[] = [];
    const seen: string[] = [];
    for (const [name, steps] of Object.entries(cases)) {
      const [r, o] = await Promise.all([exchange(realIp, 5432, steps), exchange(oursIp, 5432, steps)]);
      const [rs, os] = [showExchange(r, maskKey), showExchange(o, maskKey)];
      seen.push(`${name}: ${rs}`);
      if (rs !== os) diffs.push(`${name}:\n    real ${rs}\n    ours ${os}`);
    }
    console.log(`postgres md5 exchanges (real):\n  ${seen.join('\n  ')}`);
    console.log(`postgres md5 differences: ${diffs.length ? '\n  ' + diffs.join('\n  ') : 'none'}`);
    // The real server asked for md5 (salt masked) and let the right password in.
    expect(seen[0]).toContain('R\\u0000\\u0000\\u0000\\f\\u0000\\u0000\\u0000\\u0005****');
    expect(seen.find((s) => s.startsWith('right password:'))).toContain('Z\\u0000\\u0000\\u0000\\u0005I');
    expect(diffs).toEqual([]);
  }, 60_000);
});

import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Parser, type ReadEntry } from 'tar';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openCertificateAuthority, type CertificateAuthority } from '../../../main/core/ca';
import { createEnrollment, DEFAULT_TOKEN_TTL_MS, sha256Hex, type Enrollment } from '../../../main/core/enrollment';
import { openStore, type Store } from '../../../main/core/store/store';
import { systemClock } from '../../../main/core/clock';
import { silentLogger } from '../../../shared/node/logger';
import { createCsrPem, generateKeyPair } from '../../../shared/node/pki';
import { JOIN_TOKEN_PATTERN } from '../../../shared/protocol/swarm-api';
import { openTrustStore } from '../../fixtures/pki';
import { eventually } from '../../helpers/eventually';
import { makeTmpDir } from '../../helpers/tmp-dir';

describe('join tokens and enrollment', () => {
  let tmp: { dir: string; remove: () => Promise<void> };
  let ca: CertificateAuthority;
  let now: number;
  let enrollment: Enrollment;
  let store: Store | undefined;
  const storePath = () => join(tmp.dir, 'master.json');
  /** Hosts and tokens in the real master store, in its file: a reopen is a master restart. */
  const reopen = async (): Promise<Store> => {
    if (store) await store.flush();
    return openTrustStore(storePath());
  };
  const build = async () => {
    const opened = await reopen();
    store = opened;
    return createEnrollment({ ca, store: opened, agentPort: 8771, clock: () => new Date(now) });
  };

  beforeEach(async () => {
    tmp = await makeTmpDir('decnet-enroll-');
    ca = await openCertificateAuthority({ dataDir: tmp.dir });
    now = Date.now();
    enrollment = await build();
  });
  afterEach(async () => {
    await store?.flush(); // no write may land in the directory being removed
    store = undefined;
    await tmp.remove();
  });

  const request = async (token: string, name = 'w1') => ({
    token,
    name,
    addresses: ['10.0.0.7'],
    csrPem: await createCsrPem(await generateKeyPair(), name),
  });

  it('issues DECNET1-<ca digest>-<secret> tokens, 15 min by default, stored only as a hash', async () => {
    const { token, expiresAt } = await enrollment.issueJoinToken();
    const m = JOIN_TOKEN_PATTERN.exec(token);
    expect(m?.[1]).toBe(ca.caInfo().fingerprint);
    expect(expiresAt.getTime() - now).toBe(DEFAULT_TOKEN_TTL_MS);
    await store!.flush();
    const stored = await readFile(storePath(), 'utf8');
    expect(stored).not.toContain(m![2]);
    expect(stored).toContain(sha256Hex(m![2]!));
  });

  it('bounds the lifetime to 24 h', async () => {
    await expect(enrollment.issueJoinToken({ ttlMs: 24 * 3600_000 })).resolves.toBeDefined();
    await expect(enrollment.issueJoinToken({ ttlMs: 24 * 3600_000 + 1 })).rejects.toMatchObject({
      code: 'INVALID_INPUT',
    });
    await expect(enrollment.issueJoinToken({ ttlMs: 0 })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
  });

  it('is single-use even when two enrollments race, and survives a restart (file stores)', async () => {
    const { token } = await enrollment.issueJoinToken();
    const results = await Promise.allSettled([
      enrollment.enroll(await request(token, 'a')),
      enrollment.enroll(await request(token, 'b')),
    ]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(results.find((r) => r.status === 'rejected')).toMatchObject({ reason: { code: 'UNAUTHENTICATED' } });
    const restarted = await build();
    await expect(restarted.enroll(await request(token, 'c'))).rejects.toMatchObject({
      code: 'UNAUTHENTICATED',
      message: expect.stringMatching(/already used/),
    });
    const reopened = await reopen();
    const hosts = reopened.hosts.list();
    expect(hosts).toHaveLength(1);
    expect(hosts[0]).toMatchObject({ address: '10.0.0.7' });
    expect(reopened.hosts.isUsable(hosts[0]!)).toBe(true);
  });

  it('expires on the clock: valid one millisecond before, 401 at expiry', async () => {
    const a = await enrollment.issueJoinToken({ ttlMs: 1000 });
    const b = await enrollment.issueJoinToken({ ttlMs: 1000 });
    now += 999;
    await expect(enrollment.enroll(await request(a.token, 'a'))).resolves.toBeDefined();
    now += 1;
    await expect(enrollment.enroll(await request(b.token, 'b'))).rejects.toMatchObject({
      code: 'UNAUTHENTICATED',
      message: expect.stringMatching(/expired/),
    });
  });

  it('a token bound to a name refuses another name without being consumed', async () => {
    const { token, hostUuid } = await enrollment.issueJoinToken({ name: 'w1' });
    await expect(enrollment.enroll(await request(token, 'w2'))).rejects.toMatchObject({
      code: 'UNAUTHENTICATED',
      message: 'join token was issued for host w1, not w2',
    });
    await expect(enrollment.enroll(await request(token, 'w1'))).resolves.toMatchObject({ hostUuid });
  });

  it('a bad CSR does not burn the token', async () => {
    const { token } = await enrollment.issueJoinToken();
    await expect(enrollment.enroll({ ...(await request(token)), csrPem: 'x'.repeat(100) })).rejects.toMatchObject({
      code: 'INVALID_INPUT',
    });
    await expect(enrollment.enroll(await request(token))).resolves.toBeDefined();
  });

  it('answers only once the spent token and the host are on disk', async () => {
    // A store whose writes finish when the test says: the answer must wait for the one holding the enrollment.
    const written: string[] = [];
    const gates: Array<() => void> = [];
    const gated = await openStore({
      adapter: {
        read: () => Promise.resolve(null),
        write: (d) => {
          written.push(JSON.stringify(d));
          return new Promise<void>((r) => gates.push(r));
        },
      },
      clock: systemClock,
      log: silentLogger,
    });
    const release = () => gates.splice(0).forEach((g) => g());
    const e = createEnrollment({ ca, store: gated, agentPort: 8771 });
    const { token, hostUuid } = await e.issueJoinToken({ name: 'w9' });
    release();
    let answered = false;
    const answer = e.enroll(await request(token, 'w9')).then((a) => ((answered = true), a));
    const holding = await eventually(() => written.find((w) => w.includes(hostUuid) && /"usedAt":"/.test(w)), {
      what: 'a store write with the spent token and the host',
    });
    expect(holding).toContain('"name":"w9"');
    expect(answered).toBe(false);
    // Release each write as it starts (the token's own write may still be ahead of it) until the answer comes.
    const tick = () => new Promise<false>((r) => setImmediate(() => r(false)));
    while (!(await Promise.race([answer.then(() => true), tick()]))) release();
    expect((await answer).hostUuid).toBe(hostUuid);
  });

  it('host store: replace revokes the previous certificate when the uuid changes', async () => {
    const hosts = (await openTrustStore()).hosts;
    const at = new Date().toISOString();
    const old = {
      name: 'h',
      address: null,
      enrolledAt: at,
      certExpiresAt: at,
      uuid: randomUUID(),
      fingerprint: 'a'.repeat(64),
    };
    hosts.enroll(old, { agentPort: 8771 });
    const changed: string[] = [];
    const e = createEnrollment({
      ca,
      store: { hosts, tokens: store!.tokens, flush: () => store!.flush() },
      agentPort: 8771,
      onHostChanged: (u) => changed.push(u),
    });
    const { token, hostUuid } = await e.issueJoinToken({ name: 'h', replace: true, hostUuid: randomUUID() });
    const answer = await e.enroll(await request(token, 'h'));
    expect(hosts.isUsable(hosts.get(old.uuid)!)).toBe(false);
    expect(hosts.hasActiveFingerprint(old.fingerprint)).toBe(false);
    expect(hosts.hasActiveFingerprint(answer.fingerprint)).toBe(true);
    expect(hosts.usableByName('h')?.uuid).toBe(hostUuid);
    expect(changed).toEqual([old.uuid, hostUuid]);
  });

  it('builds a .tar.gz bundle with ca.crt, worker.crt, worker.key (0600) and agent.json', async () => {
    const { bundle, hostUuid, fingerprint } = await enrollment.exportBundle({
      name: 'air',
      addresses: ['10.1.1.1'],
      masterUrl: 'https://m:8770',
    });
    const entries = await listTar(bundle);
    expect(entries.map((e) => e.path)).toEqual(['ca.crt', 'worker.crt', 'worker.key', 'agent.json']);
    expect(entries.find((e) => e.path === 'worker.key')?.mode).toBe(0o600);
    expect(JSON.parse(entries.find((e) => e.path === 'agent.json')!.body)).toEqual({
      hostUuid,
      masterUrl: 'https://m:8770',
      name: 'air',
    });
    expect(entries.find((e) => e.path === 'worker.key')!.body).toMatch(/BEGIN PRIVATE KEY/);
    expect((await reopen()).hosts.get(hostUuid)).toMatchObject({ fingerprint, name: 'air' });
    await expect(
      enrollment.exportBundle({ name: 'air', addresses: [], masterUrl: 'https://m:8770' }),
    ).rejects.toMatchObject({ code: 'CONFLICT' });
    await expect(
      enrollment.exportBundle({ name: 'bad name!', addresses: [], masterUrl: 'https://m:8770' }),
    ).rejects.toMatchObject({ code: 'INVALID_INPUT' });
  });
});

async function listTar(buf: Buffer): Promise<Array<{ path: string; mode: number; body: string }>> {
  const out: Array<{ path: string; mode: number; body: string }> = [];
  const parser = new Parser({
    onReadEntry: (entry: ReadEntry) => {
      const chunks: Buffer[] = [];
      entry.on('data', (c: Buffer) => chunks.push(c));
      entry.on('end', () =>
        out.push({ path: entry.path, mode: entry.mode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
      );
    },
  });
  await new Promise<void>((resolve, reject) => {
    parser.on('end', resolve);
    parser.on('error', reject);
    parser.end(buf);
  });
  return out;
}

import { lstat, readdir, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AgentRunner } from '../../../agent/updater/agent-runner';
import type { HealthProbe } from '../../../agent/updater/health-probe';
import { installRelease, releaseLayout, switchCurrent } from '../../../agent/updater/release-store';
import { verifyRelease } from '../../../agent/updater/release-verify';
import { createUpdaterServer, type UpdaterServer } from '../../../agent/updater/server';
import { createUpdater } from '../../../agent/updater/updater';
import { openCertificateAuthority, type CertificateAuthority, type IssuedIdentity } from '../../../main/core/ca';
import { ensureReleaseKey, type ReleaseKey } from '../../../main/core/updater/release-key';
import { createUpdaterClient } from '../../../main/core/updater/updater-client';
import { request as httpsRequest } from 'node:https';
import { AppError } from '../../../shared/errors';
import { clientTlsOptions } from '../../../shared/node/tls';
import { UPDATER_BODY_LIMIT } from '../../../shared/protocol/updater-api';
import { silentLogger } from '../../../shared/node/logger';
import { issueWorker } from '../../fixtures/pki';
import { rawTarGz, releaseEntries, signedPush } from '../../fixtures/release-tarball';
import { makeTmpDir } from '../../helpers/tmp-dir';

/** Everything under `root`: paths, sizes and link targets, to prove a refusal changed nothing. */
async function snapshot(root: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (dir: string) => {
    for (const name of (await readdir(dir)).sort()) {
      const p = join(dir, name);
      const s = await lstat(p);
      if (s.isSymbolicLink()) out.push(`${p} -> ${await readlink(p)}`);
      else if (s.isDirectory()) {
        out.push(`${p}/`);
        await walk(p);
      } else out.push(`${p} ${s.size} ${s.mtimeMs}`);
    }
  };
  await walk(root);
  return out;
}

/** The updater's trust boundary and refusals, over real mTLS on 127.0.0.1, with no agent behind it. */
describe('updater API: who may call it, and what it refuses', () => {
  let tmp: { dir: string; remove: () => Promise<void> };
  let ca: CertificateAuthority;
  let master: IssuedIdentity;
  let worker: Awaited<ReturnType<typeof issueWorker>>;
  let key: ReleaseKey;
  let server: UpdaterServer;
  let root = '';
  const restarts: number[] = [];

  beforeAll(async () => {
    tmp = await makeTmpDir('decnet-updater-trust-');
    ca = await openCertificateAuthority({ dataDir: join(tmp.dir, 'console') });
    master = await ca.ensureMasterIdentity();
    key = await ensureReleaseKey(join(tmp.dir, 'console', 'ca'));
    // Its certificate names 127.0.0.9 only, so hostname checking of 127.0.0.1 must fail.
    worker = await issueWorker(ca, { addresses: ['127.0.0.9'] });
    root = join(tmp.dir, 'root');
    const l = releaseLayout(root);
    const a = rawTarGz(releaseEntries('1.0.0'));
    await installRelease(
      l,
      await verifyRelease({ ...(await signedPush(ca, key, a)), tarball: a, caPem: ca.caInfo().pem }),
    );
    await switchCurrent(l, '1.0.0');
    const runner: AgentRunner = {
      restart: () => (restarts.push(Date.now()), Promise.resolve()),
      exitsSince: () => 0,
      close: () => Promise.resolve(),
    };
    const probe: HealthProbe = {
      probe: () => Promise.resolve({ ok: false, error: 'no agent' }),
      close: () => Promise.resolve(),
    };
    const updater = createUpdater({
      installRoot: root,
      caPem: ca.caInfo().pem,
      runner,
      probe,
      log: silentLogger,
      version: 'test',
    });
    server = createUpdaterServer({
      identity: worker,
      listen: { host: '127.0.0.1', port: 0 },
      updater,
      log: silentLogger,
    });
    await server.start();
  });
  afterAll(async () => {
    await server?.stop();
    await tmp?.remove();
  });

  const client = (
    o: { identity?: IssuedIdentity; env?: NodeJS.ProcessEnv; verifyHostname?: boolean; fingerprint?: string } = {},
  ) =>
    createUpdaterClient({
      identity: o.identity ?? master,
      host: {
        name: worker.name,
        address: '127.0.0.1',
        port: server.address().port,
        fingerprint: o.fingerprint ?? worker.fingerprint,
      },
      env: o.env ?? {},
      ...(o.verifyHostname === undefined ? {} : { verifyHostname: o.verifyHostname }),
    });
  const failure = async (p: Promise<unknown>) => {
    const err = await p.then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(AppError);
    return err as AppError;
  };

  it('answers the master: health and releases', async () => {
    const c = client();
    await expect(c.health()).resolves.toMatchObject({ status: 'ok', current: '1.0.0', previous: null, job: null });
    await expect(c.releases()).resolves.toEqual([{ version: '1.0.0', current: true, previous: false }]);
    await c.close();
  });

  it('refuses a worker certificate (another host’s, and this host’s own) with FORBIDDEN', async () => {
    const other = await issueWorker(ca);
    for (const identity of [other, worker]) {
      const c = client({ identity });
      // This host's own certificate may read /health (the launcher's probe of a new updater), nothing else.
      const calls = identity === worker ? [c.releases(), c.rollback()] : [c.health(), c.releases()];
      for (const call of calls) {
        const err = await failure(call);
        expect(err.code).toBe('FORBIDDEN');
        expect(err.message).toMatch(/master only/);
      }
      await c.close();
    }
    const own = client({ identity: worker });
    await expect(own.health()).resolves.toMatchObject({ status: 'ok', current: '1.0.0' });
    await own.close();
  });

  it('drops a certificate of a foreign CA at the handshake', async () => {
    const rogue = await (await openCertificateAuthority({ dataDir: join(tmp.dir, 'rogue') })).ensureMasterIdentity();
    const c = client({ identity: { ...rogue, caPem: master.caPem } });
    expect((await failure(c.health())).code).toBe('AGENT_UNREACHABLE');
    await c.close();
  });

  it('pins the worker fingerprint in the handshake', async () => {
    const c = client({ fingerprint: 'ab'.repeat(32) });
    expect((await failure(c.health())).code).toBe('FINGERPRINT_MISMATCH');
    await c.close();
  });

  it('checks the SAN when DECNET_VERIFY_HOSTNAME=true and the caller passes nothing; an explicit false wins', async () => {
    const strict = client({ env: { DECNET_VERIFY_HOSTNAME: 'true' } });
    const err = await failure(strict.health());
    expect(err.code).toBe('AGENT_UNREACHABLE');
    expect(err.message).toMatch(/does not name 127\.0\.0\.1/);
    await strict.close();
    const off = client({ env: { DECNET_VERIFY_HOSTNAME: 'true' }, verifyHostname: false });
    await expect(off.health()).resolves.toMatchObject({ status: 'ok' });
    await off.close();
  });

  it('bounds bodies before reading them: 413 above the push limit, and 64 KiB on the other routes', async () => {
    // node:https, not undici: undici refuses to send fewer bytes than the content-length it declares.
    const post = (path: string, declared: number) =>
      new Promise<number>((resolve, reject) => {
        const req = httpsRequest(
          {
            host: '127.0.0.1',
            port: server.address().port,
            path,
            method: 'POST',
            ...clientTlsOptions({ ...master, pin: worker.fingerprint }),
            headers: { 'content-type': 'application/json', 'content-length': declared },
          },
          (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
          },
        );
        req.on('error', reject);
        req.write('{"tarballBase64":"');
      });
    expect(await post('/update', UPDATER_BODY_LIMIT + 1)).toBe(413);
    expect(await post('/rollback', 64 * 1024 + 1)).toBe(413);
    expect(restarts).toEqual([]);
  });

  it('refuses a wrong SHA-256, a bad or missing signature, a ../ entry: nothing changes on disk, no restart', async () => {
    const before = await snapshot(root);
    const c = client();
    const good = rawTarGz(releaseEntries('2.0.0'));
    const push = await signedPush(ca, key, good);
    const other = await signedPush(ca, key, rawTarGz(releaseEntries('2.0.1')));
    const escaping = rawTarGz([...releaseEntries('2.0.0'), { path: 'decnet-agent-2.0.0/../../../etc/x', data: 'x' }]);
    const cases: Array<[() => Promise<unknown>, RegExp]> = [
      [() => c.pushUpdate(good, 'f'.repeat(64), push.signatureBase64, push), /SHA-256 mismatch/],
      [() => c.pushUpdate(good, push.sha256, '', push), /not signed/],
      [() => c.pushUpdate(good, push.sha256, other.signatureBase64, push), /signature does not match/],
      [
        async () => {
          const p = await signedPush(ca, key, escaping);
          return c.pushUpdate(escaping, p.sha256, p.signatureBase64, p);
        },
        /escapes the release dir/,
      ],
    ];
    for (const [push, message] of cases) {
      const err = await failure(push());
      expect(err.code).toBe('INVALID_INPUT');
      expect(err.message).toMatch(message);
    }
    expect(await snapshot(root)).toEqual(before);
    expect(restarts).toEqual([]);
    await expect(c.health()).resolves.toMatchObject({ current: '1.0.0', job: null });
    await c.close();
  });
});

import { execFile } from 'node:child_process';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { c as createTar, x as extractTar } from 'tar';
import { Agent } from 'undici';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { enrollWithBundle, enrollWithToken } from '../../../agent/enroll';
import { loadIdentity } from '../../../agent/identity';
import { createMasterClient } from '../../../agent/master-client';
import { createAgentClient } from '../../../main/core/agents/agent-client';
import { openCertificateAuthority } from '../../../main/core/ca';
import { createEnrollment, sha256Hex } from '../../../main/core/enrollment';
import { swarmBounds } from '../../../main/core/swarm/swarm-listener';
import { AppError } from '../../../shared/errors';
import { createCsrPem, generateKeyPair } from '../../../shared/node/pki';
import { createRouteClient } from '../../../shared/node/route-client';
import { clientTlsOptions, serverTlsOptions } from '../../../shared/node/tls';
import { swarmApi } from '../../../shared/protocol/swarm-api';
import {
  heartbeatBody,
  issueWorker,
  openTrustStore,
  startAgent,
  startMasterSide,
  type MasterSide,
} from '../../fixtures/pki';
import { startTcpProxy } from '../../helpers/tcp-proxy';
import { makeTmpDir } from '../../helpers/tmp-dir';

const run = promisify(execFile);

describe('enrollment and the swarm listener', () => {
  let tmp: { dir: string; remove: () => Promise<void> };
  let m: MasterSide;
  const cleanup: Array<() => Promise<unknown>> = [];

  beforeEach(async () => {
    tmp = await makeTmpDir('decnet-swarm-');
    m = await startMasterSide(join(tmp.dir, 'master'));
  });
  afterEach(async () => {
    for (const fn of cleanup.splice(0).reverse()) await fn();
    await m.stop();
    await tmp.remove();
  });

  /** A swarm client trusting our CA, with no client certificate: what an enrolling worker has. */
  function anonymousSwarm() {
    const dispatcher = new Agent({
      connect: { ...clientTlsOptions({ caPem: m.ca.caInfo().pem }), maxCachedSessions: 0 },
    });
    cleanup.push(() => dispatcher.close());
    return createRouteClient(swarmApi, { origin: m.url, dispatcher });
  }

  function asWorker(id: { caPem: string; certPem: string; keyPem: string }) {
    const c = createMasterClient(id, m.url);
    cleanup.push(() => c.close());
    return c;
  }

  async function enrollRequest(token: string, name = 'w1') {
    return { token, name, addresses: ['127.0.0.1'], csrPem: await createCsrPem(await generateKeyPair(), name) };
  }

  it('enrolls a worker running in another process with a join token, end to end', async () => {
    const { token, hostUuid } = await m.enrollment.issueJoinToken({ name: 'worker-1' });
    const dir = join(tmp.dir, 'worker');
    const opts = { master: m.url, token, dir, name: 'worker-1', addresses: ['127.0.0.1'] };
    const { stdout } = await run(
      process.execPath,
      ['--import', 'tsx', 'tests/fixtures/enroll-worker.ts', JSON.stringify(opts)],
      { cwd: process.cwd() },
    );
    const out = JSON.parse(stdout.trim()) as { hostUuid: string; fingerprint: string; pid: number; ack: unknown };
    expect(out.pid).not.toBe(process.pid);
    expect(out.hostUuid).toBe(hostUuid);
    expect(out.ack).toEqual({ ackedDeltaIds: [] });
    expect(m.heartbeats).toEqual([{ hostUuid, body: expect.objectContaining({ hostUuid }) }]);

    const id = await loadIdentity(dir);
    expect(id.fingerprint).toBe(out.fingerprint);
    expect((await stat(join(dir, 'worker.key'))).mode & 0o777).toBe(0o600);
    expect(m.store.hosts.get(hostUuid)).toMatchObject({
      name: 'worker-1',
      fingerprint: id.fingerprint,
      address: '127.0.0.1',
    });
    expect(m.store.hosts.isUsable(m.store.hosts.get(hostUuid)!)).toBe(true);

    // The worker's private key never reached the master: no file under its data dir holds it.
    const masterFiles = await listFiles(m.dataDir);
    expect(masterFiles.some((f) => f.endsWith('worker.key'))).toBe(false);
    const keyBody = id.keyPem.replace(/-----[^-]+-----|\s/g, '');
    for (const f of masterFiles) expect((await readFile(f, 'utf8')).replace(/\s/g, '')).not.toContain(keyBody);

    // The master can now drive the new agent, pinned to the fingerprint recorded at enrollment.
    const agent = await startAgent(id);
    cleanup.push(() => agent.server.stop());
    const host = m.store.hosts.get(hostUuid)!;
    const client = createAgentClient({
      identity: await m.ca.ensureMasterIdentity(),
      host: { ...host, fingerprint: host.fingerprint ?? '', address: '127.0.0.1', port: agent.port },
      env: {},
    });
    cleanup.push(() => client.close());
    await expect(client.health({})).resolves.toMatchObject({ status: 'ok' });
  });

  it('refuses a reused token with 401 and leaves the first enrollment intact', async () => {
    const { token } = await m.enrollment.issueJoinToken();
    const swarm = anonymousSwarm();
    const first = await swarm.enroll(await enrollRequest(token, 'w1'));
    const err = (await swarm.enroll(await enrollRequest(token, 'w2')).catch((e: unknown) => e)) as AppError;
    expect(err).toMatchObject({
      code: 'UNAUTHENTICATED',
      message: expect.stringMatching(/join token was already used at /),
    });
    expect(m.store.hosts.list().map((h) => h.uuid)).toEqual([first.hostUuid]);
  });

  it('sizes its connection cap to the fleet: the fixed share for strangers plus two per enrolled host', async () => {
    // Workers keep their connection between beats; a fixed cap dropped most of a large fleet's beats.
    expect(m.listener.maxConnections()).toBe(swarmBounds.maxConnections);
    const swarm = anonymousSwarm();
    for (const name of ['w1', 'w2', 'w3']) {
      const { token } = await m.enrollment.issueJoinToken({ name });
      await swarm.enroll(await enrollRequest(token, name));
    }
    expect(m.listener.maxConnections()).toBe(swarmBounds.maxConnections + 6);
    // A master restarted with those hosts in its store starts with the same cap.
    await m.stop();
    m = await startMasterSide(join(tmp.dir, 'master'));
    expect(m.listener.maxConnections()).toBe(swarmBounds.maxConnections + 6);
  });

  it('refuses an expired token with 401 and changes nothing', async () => {
    const { token } = await m.enrollment.issueJoinToken({ ttlMs: 60_000 });
    m.advance(61_000);
    const err = (await anonymousSwarm()
      .enroll(await enrollRequest(token))
      .catch((e: unknown) => e)) as AppError;
    expect(err).toMatchObject({ code: 'UNAUTHENTICATED', message: expect.stringMatching(/join token expired at /) });
    expect(m.store.hosts.list()).toEqual([]);
    expect(m.store.tokens.get(sha256Hex(token.split('-').slice(2).join('-')))?.usedAt).toBeNull();
  });

  it('refuses forged tokens with 401 and a clear message; a real token still works afterwards', async () => {
    const { token } = await m.enrollment.issueJoinToken();
    const swarm = anonymousSwarm();
    const digest = m.ca.caInfo().fingerprint;
    const unknownSecret = `DECNET1-${digest}-${'A'.repeat(43)}`;
    const otherCa = `DECNET1-${'0'.repeat(64)}-${token.split('-').slice(2).join('-')}`;
    await expect(swarm.enroll(await enrollRequest(unknownSecret))).rejects.toMatchObject({
      code: 'UNAUTHENTICATED',
      message: 'join token is unknown or was revoked',
    });
    await expect(swarm.enroll(await enrollRequest(otherCa))).rejects.toMatchObject({
      code: 'UNAUTHENTICATED',
      message: expect.stringMatching(/not issued by this master/),
    });
    await expect(swarm.enroll(await enrollRequest('not-a-token'))).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    expect(m.store.hosts.list()).toEqual([]);
    await expect(swarm.enroll(await enrollRequest(token))).resolves.toMatchObject({
      fingerprint: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
  });

  it('the worker refuses a master whose CA does not match the token digest, before sending the secret', async () => {
    const { token } = await m.enrollment.issueJoinToken();
    const forged = `DECNET1-${'f'.repeat(64)}-${token.split('-').slice(2).join('-')}`;
    const err = await enrollWithToken({
      master: m.url,
      token: forged,
      dir: join(tmp.dir, 'w'),
      name: 'w1',
      addresses: [],
    }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'FINGERPRINT_MISMATCH' });
    expect(m.store.hosts.list()).toEqual([]);
    // The real token was never presented, so it is still unused.
    await expect(
      enrollWithToken({ master: m.url, token, dir: join(tmp.dir, 'w'), name: 'w1', addresses: [] }),
    ).resolves.toMatchObject({ name: 'w1' });
  });

  it('fetches the CA and enrolls over one connection, checked before the token goes out', async () => {
    const proxy = await startTcpProxy({ host: '127.0.0.1', port: m.listener.address().port });
    cleanup.push(() => proxy.close());
    const { token } = await m.enrollment.issueJoinToken();
    const id = await enrollWithToken({
      master: proxy.url('https'),
      token,
      dir: join(tmp.dir, 'w'),
      name: 'w1',
      addresses: [],
    });
    expect(id.name).toBe('w1');
    expect(proxy.accepted()).toBe(1);
  });

  it('a server with our CA but no swarm certificate gets no token, though it serves the right CA', async () => {
    // A worker posing as the master: its certificate is genuine (our CA) but has role worker. The CA
    // it serves is the real one, so the token's digest matches and only the role check stands.
    const impostor = await issueWorker(m.ca);
    const paths: string[] = [];
    const server = createHttpsServer(serverTlsOptions({ ...impostor, requireClientCert: false }), (req, res) => {
      paths.push(req.url ?? '');
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ caPem: m.ca.caInfo().pem }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    cleanup.push(() => new Promise((resolve) => server.close(resolve)));
    const { token } = await m.enrollment.issueJoinToken();
    const err = await enrollWithToken({
      master: `https://127.0.0.1:${(server.address() as AddressInfo).port}`,
      token,
      dir: join(tmp.dir, 'w'),
      name: 'w1',
      addresses: [],
    }).catch((e: unknown) => e);
    expect((err as Error).message).toMatch(/has role worker, expected swarm/);
    expect(paths).toEqual(['/swarm/ca']);
  });

  it('refuses a heartbeat whose body names another host than its certificate (403)', async () => {
    const a = await enrollInProcess('host-a');
    const b = await enrollInProcess('host-b');
    const err = (await asWorker(a)
      .heartbeat(heartbeatBody(b.hostUuid))
      .catch((e: unknown) => e)) as AppError;
    expect(err).toMatchObject({
      code: 'FORBIDDEN',
      message: `heartbeat names host ${b.hostUuid} but certificate is for ${a.hostUuid}`,
    });
    expect(m.heartbeats).toEqual([]);
    await expect(asWorker(a).heartbeat(heartbeatBody(a.hostUuid))).resolves.toEqual({ ackedDeltaIds: [] });
  });

  it('refuses a revoked fingerprint on heartbeat and events', async () => {
    const a = await enrollInProcess('host-a');
    await expect(asWorker(a).heartbeat(heartbeatBody(a.hostUuid))).resolves.toEqual({ ackedDeltaIds: [] });
    m.store.hosts.revokeHost(a.hostUuid);
    const fresh = asWorker(a);
    await expect(fresh.heartbeat(heartbeatBody(a.hostUuid))).rejects.toMatchObject({
      code: 'FORBIDDEN',
      message: expect.stringMatching(/not enrolled or was revoked/),
    });
    await expect(fresh.events({ events: [] })).rejects.toMatchObject({ code: 'FORBIDDEN' });
    expect(m.heartbeats).toHaveLength(1);
  });

  it('refuses heartbeats without a certificate, from another CA, with the master role, or never enrolled', async () => {
    const a = await enrollInProcess('host-a');
    const rogue = await openCertificateAuthority({ dataDir: join(tmp.dir, 'rogue') });
    const rogueWorker = await issueWorker(rogue, { hostUuid: a.hostUuid, name: 'host-a' });
    const notEnrolled = await issueWorker(m.ca, { hostUuid: a.hostUuid, name: 'host-a' });
    const cases: Array<[string, () => Promise<unknown>, RegExp]> = [
      [
        'no certificate',
        () => anonymousSwarm().heartbeat(heartbeatBody(a.hostUuid)),
        /requires a worker client certificate/,
      ],
      [
        'rogue CA',
        () => asWorker({ ...rogueWorker, caPem: m.ca.caInfo().pem }).heartbeat(heartbeatBody(a.hostUuid)),
        /client certificate was refused/,
      ],
      [
        'master role',
        async () => asWorker(await m.ca.ensureMasterIdentity()).heartbeat(heartbeatBody(a.hostUuid)),
        /role master may not call/,
      ],
      [
        'same host, unenrolled cert',
        () => asWorker(notEnrolled).heartbeat(heartbeatBody(a.hostUuid)),
        /not enrolled or was revoked/,
      ],
    ];
    for (const [what, p, msg] of cases) {
      const err = (await p().catch((e: unknown) => e)) as AppError;
      expect(err, what).toBeInstanceOf(AppError);
      expect({ what, code: err.code }).toEqual({ what, code: 'FORBIDDEN' });
      expect(err.message, what).toMatch(msg);
    }
    expect(m.heartbeats).toEqual([]);
  });

  it('answers CONFLICT for an enrolled name unless the token says replace, which revokes the old certificate', async () => {
    const old = await enrollInProcess('dup');
    await expect(m.enrollment.issueJoinToken({ name: 'dup' })).rejects.toMatchObject({ code: 'CONFLICT' });
    const { token: unbound } = await m.enrollment.issueJoinToken();
    await expect(anonymousSwarm().enroll(await enrollRequest(unbound, 'dup'))).rejects.toMatchObject({
      code: 'CONFLICT',
      message: expect.stringMatching(/already enrolled/),
    });
    const { token, hostUuid } = await m.enrollment.issueJoinToken({ name: 'dup', replace: true });
    expect(hostUuid).toBe(old.hostUuid);
    const fresh = await enrollWithToken({
      master: m.url,
      token,
      dir: join(tmp.dir, 'dup-2'),
      name: 'dup',
      addresses: ['127.0.0.1'],
    });
    expect(m.store.hosts.hasActiveFingerprint(old.fingerprint)).toBe(false);
    await expect(asWorker(old).heartbeat(heartbeatBody(old.hostUuid))).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await expect(asWorker(fresh).heartbeat(heartbeatBody(fresh.hostUuid))).resolves.toEqual({ ackedDeltaIds: [] });
  });

  it('installs an offline bundle: key 0600, chain checked, heartbeat accepted; a tampered bundle is refused', async () => {
    const { bundle, hostUuid } = await m.enrollment.exportBundle({
      name: 'airgap',
      addresses: ['127.0.0.1'],
      masterUrl: m.url,
    });
    const file = join(tmp.dir, 'airgap.tgz');
    await writeFile(file, bundle);
    const dir = join(tmp.dir, 'airgap');
    const id = await enrollWithBundle({ bundle: file, dir });
    expect(id.hostUuid).toBe(hostUuid);
    expect((await stat(join(dir, 'worker.key'))).mode & 0o777).toBe(0o600);
    await expect(asWorker(id).heartbeat(heartbeatBody(hostUuid))).resolves.toEqual({ ackedDeltaIds: [] });
    await expect(enrollWithBundle({ bundle: file, dir })).rejects.toMatchObject({ code: 'CONFLICT' });

    const rogue = await openCertificateAuthority({ dataDir: join(tmp.dir, 'rogue') });
    const rogueEnrollment = createEnrollment({ ca: rogue, store: await openTrustStore(), agentPort: 8771 });
    const { bundle: rogueBundle } = await rogueEnrollment.exportBundle({ name: 'x', addresses: [], masterUrl: m.url });
    // Splice: our CA with the rogue certificate and key.
    const rogueDir = join(tmp.dir, 'rogue-extract');
    await writeFile(join(tmp.dir, 'rogue.tgz'), rogueBundle);
    await mkdir(rogueDir);
    await extractTar({ file: join(tmp.dir, 'rogue.tgz'), cwd: rogueDir });
    await writeFile(join(rogueDir, 'ca.crt'), m.ca.caInfo().pem);
    await createTar({ file: join(tmp.dir, 'spliced.tgz'), gzip: true, cwd: rogueDir }, [
      'ca.crt',
      'worker.crt',
      'worker.key',
      'agent.json',
    ]);
    await expect(
      enrollWithBundle({ bundle: join(tmp.dir, 'spliced.tgz'), dir: join(tmp.dir, 'spliced') }),
    ).rejects.toMatchObject({
      code: 'INVALID_INPUT',
      message: expect.stringMatching(/worker\.crt is not signed by ca\.crt/),
    });
  });

  async function enrollInProcess(name: string) {
    const { token } = await m.enrollment.issueJoinToken({ name });
    return enrollWithToken({
      master: m.url,
      token,
      dir: join(tmp.dir, `w-${name}-${Math.random().toString(36).slice(2)}`),
      name,
      addresses: ['127.0.0.1'],
    });
  }
});

async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await listFiles(p)));
    else out.push(p);
  }
  return out;
}

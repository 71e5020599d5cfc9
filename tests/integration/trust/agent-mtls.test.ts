import { connect, createServer as createTlsServer, type TLSSocket } from 'node:tls';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createAgentClient } from '../../../main/core/agents/agent-client';
import { openCertificateAuthority, type CertificateAuthority, type IssuedIdentity } from '../../../main/core/ca';
import { AppError } from '../../../shared/errors';
import { FingerprintMismatchError, serverTlsOptions } from '../../../shared/node/tls';
import { issueWorker, startAgent, startCountingServer } from '../../fixtures/pki';
import { makeTmpDir } from '../../helpers/tmp-dir';

const DAY = 86_400_000;

describe('agent API over mTLS', () => {
  let tmp: { dir: string; remove: () => Promise<void> };
  let ca: CertificateAuthority;
  let master: IssuedIdentity;
  const cleanup: Array<() => Promise<unknown>> = [];

  beforeEach(async () => {
    tmp = await makeTmpDir('decnet-agent-mtls-');
    ca = await openCertificateAuthority({ dataDir: `${tmp.dir}/master` });
    master = await ca.ensureMasterIdentity();
  });
  afterEach(async () => {
    for (const fn of cleanup.splice(0).reverse()) await fn();
    await tmp.remove();
  });

  async function agentFor(worker: IssuedIdentity) {
    const agent = await startAgent(worker);
    cleanup.push(() => agent.server.stop());
    return agent;
  }

  function clientFor(
    worker: IssuedIdentity & { hostUuid: string; name: string },
    port: number,
    o: { identity?: IssuedIdentity; fingerprint?: string; env?: NodeJS.ProcessEnv; verifyHostname?: boolean } = {},
  ) {
    const c = createAgentClient({
      identity: o.identity ?? master,
      host: {
        uuid: worker.hostUuid,
        name: worker.name,
        address: '127.0.0.1',
        port,
        fingerprint: o.fingerprint ?? worker.fingerprint,
      },
      env: o.env ?? {},
      ...(o.verifyHostname === undefined ? {} : { verifyHostname: o.verifyHostname }),
    });
    cleanup.push(() => c.close());
    return c;
  }

  it('lets the CA-signed master call health and status, and the handler sees role master', async () => {
    const worker = await issueWorker(ca);
    const agent = await agentFor(worker);
    const client = clientFor(worker, agent.port);
    await expect(client.health({})).resolves.toEqual({ status: 'ok', version: 'test', protocol: 1 });
    await expect(client.status({})).resolves.toEqual({ deployed: false, deckies: [], runtime: {} });
    expect(agent.calls.map((c) => c.route)).toEqual(['health', 'status']);
    expect(agent.calls[0]?.peer).toMatchObject({
      role: 'master',
      cn: 'decnet-master',
      fingerprint: master.fingerprint,
    });
  });

  it('refuses an impostor certificate from another CA at the handshake; no handler runs', async () => {
    const worker = await issueWorker(ca);
    const agent = await agentFor(worker);
    const rogueCa = await openCertificateAuthority({ dataDir: `${tmp.dir}/rogue` });
    const rogueMaster = await rogueCa.ensureMasterIdentity();
    const client = clientFor(worker, agent.port, { identity: { ...rogueMaster, caPem: master.caPem } });
    const err = await client.health({}).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).code).toBe('AGENT_UNREACHABLE');
    expect(agent.calls).toHaveLength(0);
  });

  it('refuses a valid worker certificate from our CA with 403; no handler runs', async () => {
    const worker = await issueWorker(ca);
    const otherWorker = await issueWorker(ca, { name: 'other-worker' });
    const agent = await agentFor(worker);
    const client = clientFor(worker, agent.port, { identity: otherWorker });
    for (const call of [() => client.health({}), () => client.selfDestruct({}), () => client.teardown({})]) {
      const err = (await call().catch((e: unknown) => e)) as AppError;
      expect(err).toBeInstanceOf(AppError);
      expect(err.code).toBe('FORBIDDEN');
      expect(err.message).toMatch(/role worker .*master only/);
    }
    expect(agent.calls).toHaveLength(0);
  });

  it('raises FingerprintMismatchError on a wrong pin before any request reaches the server', async () => {
    const worker = await issueWorker(ca);
    const impostor = await issueWorker(ca, { name: worker.name, hostUuid: worker.hostUuid });
    const server = await startCountingServer(impostor);
    cleanup.push(() => server.close());
    const client = clientFor(worker, server.port);
    const err = await client.health({}).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FingerprintMismatchError);
    expect(err).toMatchObject({
      code: 'FINGERPRINT_MISMATCH',
      expected: worker.fingerprint,
      actual: impostor.fingerprint,
    });
    expect(server.requests()).toBe(0);
  });

  it('checks the pin in every handshake, not only the first', async () => {
    const worker = await issueWorker(ca);
    const real = await startCountingServer(worker);
    const client = clientFor(worker, real.port);
    await expect(client.health({})).resolves.toMatchObject({ status: 'ok' });
    await real.close();
    const impostor = await issueWorker(ca, { name: worker.name, hostUuid: worker.hostUuid });
    const swapped = await startCountingServer(impostor, real.port);
    cleanup.push(() => swapped.close());
    await expect(client.health({})).rejects.toBeInstanceOf(FingerprintMismatchError);
    expect(swapped.requests()).toBe(0);
  });

  it('DECNET_VERIFY_HOSTNAME=true refuses a certificate not naming the dialled address; unset passes on the pin', async () => {
    const worker = await issueWorker(ca, { addresses: ['127.0.0.9', 'elsewhere.lan'] });
    const agent = await agentFor(worker);
    const strict = clientFor(worker, agent.port, { env: { DECNET_VERIFY_HOSTNAME: 'true' } });
    const err = (await strict.health({}).catch((e: unknown) => e)) as AppError;
    expect(err).toBeInstanceOf(AppError);
    expect(err).toMatchObject({
      code: 'AGENT_UNREACHABLE',
      message: expect.stringMatching(/does not name 127\.0\.0\.1/),
    });
    expect(agent.calls).toHaveLength(0);
    await expect(clientFor(worker, agent.port, { env: {} }).health({})).resolves.toMatchObject({ status: 'ok' });
    // An explicit option wins over the environment.
    await expect(
      clientFor(worker, agent.port, { env: { DECNET_VERIFY_HOSTNAME: 'true' }, verifyHostname: false }).health({}),
    ).resolves.toMatchObject({ status: 'ok' });
  });

  it('DECNET_VERIFY_HOSTNAME=true accepts a certificate whose SAN names the dialled address', async () => {
    const worker = await issueWorker(ca, { addresses: ['127.0.0.1'] });
    const agent = await agentFor(worker);
    await expect(
      clientFor(worker, agent.port, { env: { DECNET_VERIFY_HOSTNAME: 'true' } }).health({}),
    ).resolves.toMatchObject({ status: 'ok' });
  });

  it('refuses a TLS 1.1 client (a TLS 1.1 server accepts the same client)', async () => {
    const worker = await issueWorker(ca);
    const agent = await agentFor(worker);
    const legacy = {
      ca: [master.caPem],
      cert: master.certPem,
      key: master.keyPem,
      minVersion: 'TLSv1' as const,
      maxVersion: 'TLSv1.1' as const,
      ciphers: 'DEFAULT@SECLEVEL=0',
      rejectUnauthorized: false,
    };
    const handshake = (port: number) =>
      new Promise<string>((resolve, reject) => {
        const s: TLSSocket = connect({ host: '127.0.0.1', port, ...legacy }, () => {
          resolve(s.getProtocol() ?? '?');
          s.destroy();
        });
        s.once('error', reject);
      });
    // Control: prove this client really speaks TLS 1.1 on this OpenSSL, so the refusal below is the server's policy.
    const old = createTlsServer({
      ...serverTlsOptions({ ...worker, requireClientCert: false }),
      minVersion: 'TLSv1',
      ciphers: 'DEFAULT@SECLEVEL=0',
    });
    await new Promise<void>((r) => old.listen(0, '127.0.0.1', r));
    cleanup.push(() => new Promise((r) => old.close(r)));
    old.on('secureConnection', (s: TLSSocket) => s.end());
    await expect(handshake((old.address() as AddressInfo).port)).resolves.toBe('TLSv1.1');

    await expect(handshake(agent.port)).rejects.toThrow(/protocol|version/i);
    expect(agent.calls).toHaveLength(0);
  });

  it('refuses an expired master certificate', async () => {
    const pastDir = `${tmp.dir}/past`;
    const past = await openCertificateAuthority({
      dataDir: pastDir,
      clock: () => new Date(Date.now() - 3 * 365 * DAY),
    });
    const expiredMaster = await past.ensureMasterIdentity();
    expect(expiredMaster.expiresAt.getTime()).toBeLessThan(Date.now());
    const present = await openCertificateAuthority({ dataDir: pastDir });
    expect(present.caInfo().fingerprint).toBe(past.caInfo().fingerprint);
    const worker = await issueWorker(present);
    const agent = await agentFor(worker);
    const err = (await clientFor(worker, agent.port, { identity: expiredMaster })
      .health({})
      .catch((e: unknown) => e)) as AppError;
    expect(err.code).toBe('AGENT_UNREACHABLE');
    expect(agent.calls).toHaveLength(0);
    // The same CA's fresh master identity (re-issued because the stored one expired) works.
    const renewed = await present.ensureMasterIdentity();
    expect(renewed.fingerprint).not.toBe(expiredMaster.fingerprint);
    await expect(clientFor(worker, agent.port, { identity: renewed }).health({})).resolves.toMatchObject({
      status: 'ok',
    });
  });

  it('refuses an agent whose own certificate has expired, even with the right pin', async () => {
    const pastDir = `${tmp.dir}/past`;
    const past = await openCertificateAuthority({
      dataDir: pastDir,
      clock: () => new Date(Date.now() - 3 * 365 * DAY),
    });
    const expiredWorker = await issueWorker(past);
    const present = await openCertificateAuthority({ dataDir: pastDir });
    const agent = await agentFor(expiredWorker);
    const err = (await clientFor(expiredWorker, agent.port, { identity: await present.ensureMasterIdentity() })
      .health({})
      .catch((e: unknown) => e)) as AppError;
    expect(err.code).toBe('AGENT_UNREACHABLE');
    expect(err.message).toMatch(/CERT_HAS_EXPIRED/);
    expect(agent.calls).toHaveLength(0);
  });
});

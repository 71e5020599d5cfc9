// TLS session resumption on the worker → master path (agent/master-client.ts): the session survives
// the gap between heartbeats, and is resumed only from a handshake that passed the role check.
// Real CA, real certificates, real TLS 1.2 and 1.3 on loopback, the real master client.
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMasterClient } from '../../../agent/master-client';
import { openCertificateAuthority, type CertificateAuthority } from '../../../main/core/ca';
import { clientTlsOptions, serverTlsOptions, type TlsIdentity } from '../../../shared/node/tls';
import { heartbeatBody, issueWorker } from '../../fixtures/pki';
import { makeTmpDir } from '../../helpers/tmp-dir';

type Served = { url: string; reused: boolean[]; close: () => Promise<void> };

/** A full garbage collection, as happens many times between two beats 30 s apart. */
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/**
 * An HTTPS server with `identity` that answers any POST like the heartbeat route, closes every
 * connection after its response (so each call handshakes), and records whether the session was resumed.
 */
async function serve(identity: TlsIdentity, maxVersion: 'TLSv1.2' | 'TLSv1.3'): Promise<Served> {
  const reused: boolean[] = [];
  const server: Server = createServer(
    { ...serverTlsOptions({ ...identity, requireClientCert: false }), maxVersion },
    (req, res) => {
      reused.push((req.socket as TLSSocket).isSessionReused());
      req.resume();
      res.writeHead(200, { 'content-type': 'application/json', connection: 'close' });
      res.end(JSON.stringify({ ackedDeltaIds: [] }));
    },
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `https://127.0.0.1:${(server.address() as AddressInfo).port}`,
    reused,
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

describe('worker → master TLS session resumption', () => {
  let tmp: { dir: string; remove: () => Promise<void> };
  let ca: CertificateAuthority;
  let swarm: TlsIdentity;
  let worker: TlsIdentity & { hostUuid: string };

  beforeAll(async () => {
    tmp = await makeTmpDir('decnet-sessions-');
    ca = await openCertificateAuthority({ dataDir: tmp.dir });
    swarm = await ca.ensureSwarmServerCert(['127.0.0.1']);
    worker = await issueWorker(ca);
  });
  afterAll(() => tmp.remove());

  /** One heartbeat through the real master client: 'ok' or the error's message. */
  const beat = (client: ReturnType<typeof createMasterClient>) =>
    client.heartbeat(heartbeatBody(worker.hostUuid)).then(
      () => 'ok',
      (err: Error) => err.message,
    );

  for (const version of ['TLSv1.2', 'TLSv1.3'] as const) {
    it(`${version}: each later beat resumes the master's session, also after a garbage collection`, async () => {
      const s = await serve(swarm, version);
      const client = createMasterClient(worker, s.url);
      try {
        for (let i = 0; i < 3; i++) {
          expect(await beat(client)).toBe('ok');
          gc();
        }
        expect(s.reused).toEqual([false, true, true]);
      } finally {
        await client.close();
        await s.close();
      }
    });

    it(`${version}: a server that fails the role check is never resumed past it`, async () => {
      // Another worker's certificate is from our CA but lacks the swarm role.
      const impostor = await serve(await issueWorker(ca), version);
      const client = createMasterClient(worker, impostor.url);
      try {
        for (let i = 0; i < 3; i++) expect(await beat(client)).toMatch(/has role worker, expected swarm/);
        // Every attempt was a full handshake that the check refused; none reached the handler.
        expect(impostor.reused).toEqual([]);
      } finally {
        await client.close();
        await impostor.close();
      }
    });
  }

  it("undici's own session cache loses the session to a garbage collection (why the connector exists)", async () => {
    const s = await serve(swarm, 'TLSv1.3');
    const naive = new Agent({ connect: clientTlsOptions({ ...worker, requireRole: 'swarm' }) });
    try {
      for (let i = 0; i < 3; i++) {
        const res = await request(`${s.url}/`, { method: 'POST', dispatcher: naive, body: '{}' });
        await res.body.text();
        gc();
      }
      expect(s.reused).toEqual([false, false, false]);
    } finally {
      await naive.close();
      await s.close();
    }
  });
});

// The swarm listener's keep-alive follows the fleet's size (swarmKeepAliveMs): a small fleet keeps
// every worker connected between beats, a large one has workers connect per request. Real CA, real
// worker certificate, real mTLS; the Keep-Alive hint is what undici (the agent) obeys.
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { swarmBounds, swarmKeepAliveMs } from '../../../main/core/swarm/swarm-listener';
import { clientTlsOptions } from '../../../shared/node/tls';
import { heartbeatBody, issueWorker, startMasterSide, type MasterSide } from '../../fixtures/pki';
import { makeTmpDir } from '../../helpers/tmp-dir';
import { hostRecord } from '../../unit/master/helpers';

describe('swarm keep-alive', () => {
  let tmp: { dir: string; remove: () => Promise<void> };
  let m: MasterSide;
  let dispatcher: Agent;
  let beat: () => Promise<{ status: number; keepAlive: string | undefined; connection: string | undefined }>;

  beforeEach(async () => {
    tmp = await makeTmpDir('decnet-keepalive-');
    m = await startMasterSide(join(tmp.dir, 'master'), { heartbeatIntervalMs: 30_000 });
    const w = await issueWorker(m.ca);
    m.store.hosts.add({ ...hostRecord(w.hostUuid), fingerprint: w.fingerprint, address: '127.0.0.1' });
    // One connection, as an agent's beats use: a second would open beside a not yet released first.
    dispatcher = new Agent({ connect: clientTlsOptions(w), connections: 1 });
    beat = async () => {
      const res = await request(`${m.url}/swarm/heartbeat`, {
        method: 'POST',
        dispatcher,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(heartbeatBody(w.hostUuid)),
      });
      await res.body.text();
      const h = (k: string) => res.headers[k] as string | undefined;
      return { status: res.statusCode, keepAlive: h('keep-alive'), connection: h('connection') };
    };
  });
  afterEach(async () => {
    await dispatcher.close();
    await m.stop();
    await tmp.remove();
  });

  it('is 2 × interval + 5 s up to keptAliveConnections hosts, and brief above', () => {
    expect(swarmKeepAliveMs(1, 30_000)).toBe(65_000);
    expect(swarmKeepAliveMs(swarmBounds.keptAliveConnections, 30_000)).toBe(65_000);
    expect(swarmKeepAliveMs(swarmBounds.keptAliveConnections + 1, 30_000)).toBe(swarmBounds.briefKeepAliveMs);
    expect(swarmKeepAliveMs(10_000, 10_000)).toBe(swarmBounds.briefKeepAliveMs);
  });

  it('tells a worker of a small fleet to stay connected past the interval, and one of a large fleet to close', async () => {
    expect(await beat()).toEqual({ status: 200, keepAlive: 'timeout=65', connection: 'keep-alive' });
    // The fleet grows past the budget (hosts enrolled from bundles count as well). The kept-alive
    // connection's next beat retunes the listener; the answer after it carries the brief hint.
    for (let i = 0; i < swarmBounds.keptAliveConnections; i++) m.store.hosts.add(hostRecord(`bulk-${i}`));
    expect((await beat()).keepAlive).toBe('timeout=65');
    expect(await beat()).toEqual({ status: 200, keepAlive: 'timeout=1', connection: 'keep-alive' });
    // undici closes a connection whose hint is under its 2 s margin: the next beat reconnects, and a
    // new connection is tuned as it opens.
    for (let i = 0; i < 10; i++) m.store.hosts.remove(`bulk-${i}`);
    expect((await beat()).keepAlive).toBe('timeout=65');
  });
});

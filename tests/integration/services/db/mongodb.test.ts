import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mongodbService } from '../../../../agent/services/db/mongodb';
import { Binary, decodeBson, encodeBson, type BsonDoc } from '../../../../agent/services/db/bson-codec';
import { eventually } from '../../../helpers/eventually';
import { connectRaw, run, startService, type RawConnection, type ServiceHarness } from '../service-harness';

const ip = '127.32.4.1';

/** A minimal OP_MSG client (wire protocol spec): one kind-0 section, no checksum. */
async function opMsg(c: RawConnection, requestId: number, doc: Record<string, unknown>): Promise<BsonDoc> {
  const before = c.received().length;
  const body = Buffer.concat([Buffer.alloc(4), Buffer.from([0]), encodeBson(doc)]);
  const head = Buffer.alloc(16);
  head.writeInt32LE(16 + body.length, 0);
  head.writeInt32LE(requestId, 4);
  head.writeInt32LE(2013, 12);
  c.send(Buffer.concat([head, body]));
  const reply = await eventually(() => {
    const got = c.received().subarray(before);
    return got.length >= 4 && got.length >= got.readInt32LE(0) ? got : undefined;
  });
  expect(reply.readInt32LE(8)).toBe(requestId);
  expect(reply.readInt32LE(12)).toBe(2013);
  return decodeBson(reply.subarray(21, reply.readInt32LE(0)));
}

describe('mongodb honeypot', () => {
  let h: ServiceHarness;
  beforeAll(async () => {
    h = await startService(mongodbService, { ip, distro: 'ubuntu22' });
  });
  afterAll(() => h.stop());

  it("nmap's mongodb-info reads the persona build and mongodb-databases gets Unauthorized", async () => {
    const r = await run('nmap', ['-Pn', '-n', '-p', '27017', '--script', 'mongodb-info,mongodb-databases', ip], {
      timeoutMs: 60_000,
    });
    expect(r.stdout).toContain('version = 6.0.16');
    expect(r.stdout).toContain('distmod = ubuntu2204');
    expect(r.stdout).toContain('command listDatabases requires authentication');
    await eventually(() => h.ofKind('command').some((e) => e.data.command === 'buildinfo' && e.data.legacy === true));
  });

  it('OP_MSG: hello, buildInfo, ping are public; listDatabases and getLog are Unauthorized', async () => {
    const c = await connectRaw(ip, 27017);
    const hello = await opMsg(c, 1, {
      hello: 1,
      helloOk: true,
      client: { driver: { name: 'nodejs', version: '6.8.0' }, application: { name: 'probe' } },
      $db: 'admin',
    });
    expect(hello.get('isWritablePrimary')).toBe(true);
    expect(hello.get('maxWireVersion')).toBe(17);
    expect(hello.get('helloOk')).toBe(true);
    expect((await opMsg(c, 2, { buildInfo: 1, $db: 'admin' })).get('version')).toBe('6.0.16');
    expect((await opMsg(c, 3, { ping: 1, $db: 'admin' })).get('ok')).toBe(1);
    const dbs = await opMsg(c, 4, { listDatabases: 1, $db: 'admin' });
    expect([dbs.get('ok'), dbs.get('code'), dbs.get('codeName')]).toEqual([0, 13, 'Unauthorized']);
    expect((await opMsg(c, 5, { getLog: 'startupWarnings', $db: 'admin' })).get('codeName')).toBe('Unauthorized');
    expect((await opMsg(c, 6, { frobnicate: 1, $db: 'admin' })).get('codeName')).toBe('CommandNotFound');
    c.socket.destroy();
    const cmd = await eventually(() => h.ofKind('command').find((e) => e.data.command === 'hello'));
    expect(cmd.data.args).toMatchObject({ client: { driver: 'nodejs 6.8.0', application: 'probe' } });
  });

  it('SCRAM-SHA-256: captures the username and the client proof, then AuthenticationFailed', async () => {
    const c = await connectRaw(ip, 27017);
    const first = await opMsg(c, 10, {
      saslStart: 1,
      mechanism: 'SCRAM-SHA-256',
      payload: new Binary(Buffer.from('n,,n=backup=2Cadmin,r=clientnonce123')),
      autoAuthorize: 1,
      $db: 'admin',
    });
    expect(first.get('done')).toBe(false);
    const serverFirst = (first.get('payload') as Binary).data.toString();
    expect(serverFirst).toMatch(/^r=clientnonce123[^,]+,s=[^,]+,i=15000$/);
    const nonce = /^r=([^,]+)/.exec(serverFirst)![1]!;
    const fin = await opMsg(c, 11, {
      saslContinue: 1,
      conversationId: 1,
      payload: new Binary(Buffer.from(`c=biws,r=${nonce},p=cHJvb2Y=`)),
      $db: 'admin',
    });
    expect([fin.get('ok'), fin.get('code'), fin.get('codeName')]).toEqual([0, 18, 'AuthenticationFailed']);
    const auths = await eventually(() => (h.ofKind('auth').length >= 2 ? h.ofKind('auth') : undefined));
    expect(auths[0]!.data).toMatchObject({ method: 'SCRAM-SHA-256', username: 'backup,admin', db: 'admin' });
    expect(auths[1]!.data).toMatchObject({ username: 'backup,admin', proof: 'cHJvb2Y=' });
  });

  it('answers HTTP on the native port like mongod and records broken BSON as malformed', async () => {
    const c = await connectRaw(ip, 27017);
    c.send('GET / HTTP/1.0\r\n\r\n');
    await eventually(() => c.closed());
    expect(c.text()).toContain('It looks like you are trying to access MongoDB over HTTP on the native driver port.');
    const d = await connectRaw(ip, 27017);
    const bad = Buffer.alloc(30);
    bad.writeInt32LE(30, 0);
    bad.writeInt32LE(2013, 12);
    bad[20] = 0;
    bad.writeInt32LE(999, 21);
    d.send(bad);
    await eventually(() => d.closed());
    await eventually(() => h.ofKind('malformed').length > 0);
  });
});

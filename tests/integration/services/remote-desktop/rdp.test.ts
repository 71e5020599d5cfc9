import tls from 'node:tls';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rdpService } from '../../../../agent/services/remote-desktop/rdp';
import { der } from '../../../../agent/services/codecs/ber-codec';
import { parseTsRequest } from '../../../../agent/services/remote-desktop/rdp-codec';
import { eventually } from '../../../helpers/eventually';
import { run } from '../raw-clients';
import { startService, type ServiceHarness } from '../service-harness';

const ip = '127.33.2.1';

function connectionRequest(cookie: string, protocols: number): Buffer {
  const neg = Buffer.from([1, 0, 8, 0, 0, 0, 0, 0]);
  neg.writeUInt32LE(protocols, 4);
  const body = Buffer.concat([
    Buffer.from([0xe0, 0, 0, 0, 0, 0]),
    Buffer.from(`Cookie: mstshash=${cookie}\r\n`, 'latin1'),
    neg,
  ]);
  const x224 = Buffer.concat([Buffer.from([body.length]), body]);
  const tpkt = Buffer.from([3, 0, 0, 0]);
  tpkt.writeUInt16BE(x224.length + 4, 2);
  return Buffer.concat([tpkt, x224]);
}

/** An NTLM AUTHENTICATE as a client would send it (the response bytes need not be valid). */
function ntlmAuthenticate(user: string, domain: string, workstation: string): Buffer {
  const u = (s: string) => Buffer.from(s, 'utf16le');
  const fields = [
    Buffer.alloc(24),
    Buffer.concat([Buffer.alloc(16, 0xab), Buffer.from('0101000000000000', 'hex'), Buffer.alloc(40, 0xcd)]),
    u(domain),
    u(user),
    u(workstation),
    Buffer.alloc(0),
  ];
  const head = Buffer.alloc(64);
  head.write('NTLMSSP\0', 0, 'latin1');
  head.writeUInt32LE(3, 8);
  let off = 64;
  fields.forEach((f, i) => {
    head.writeUInt16LE(f.length, 12 + i * 8);
    head.writeUInt16LE(f.length, 14 + i * 8);
    head.writeUInt32LE(off, 16 + i * 8);
    off += f.length;
  });
  head.writeUInt32LE(0xe2888215, 60);
  return Buffer.concat([head, ...fields]);
}

const ntlmNegotiate = Buffer.concat([
  Buffer.from('NTLMSSP\0', 'latin1'),
  Buffer.from([1, 0, 0, 0, 0xb7, 0x82, 0x08, 0xe2]),
  Buffer.alloc(16),
]);
const tsReq = (token: Buffer) =>
  der.seq(der.ctx(0, der.int(6)), der.ctx(1, der.seq(der.seq(der.ctx(0, der.octets(token))))));

function readSome(s: net.Socket | tls.TLSSocket, min: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    let buf = Buffer.alloc(0);
    const onData = (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      if (buf.length >= min) {
        s.off('data', onData);
        resolve(buf);
      }
    };
    s.on('data', onData);
    s.once('close', () => reject(new Error(`closed after ${buf.length} bytes`)));
  });
}

describe('rdp service', () => {
  let h: ServiceHarness;
  beforeAll(async () => {
    h = await startService(rdpService, {
      ip,
      name: 'ws-0142',
      hostname: 'WS-0142',
      archetype: 'windows-workstation',
      nmapOs: 'windows',
    });
  });
  afterAll(async () => h.stop());

  it('is named Microsoft Terminal Services by nmap -sV and leaks the persona through rdp-ntlm-info', async () => {
    const r = await run('nmap', ['-sV', '-Pn', '-p3389', '--script', 'rdp-ntlm-info', ip], 90_000);
    expect(r.stdout).toMatch(/3389\/tcp\s+open\s+ms-wbt-server\s+Microsoft Terminal Services/);
    expect(r.stdout).toContain('NetBIOS_Computer_Name: WS-0142');
    expect(r.stdout).toMatch(/Product_Version: 10\.0\.\d+/);
  });

  it('selects NLA, runs TLS + CredSSP and captures the NTLM AUTHENTICATE', async () => {
    const raw = net.connect({ host: ip, port: 3389 });
    await new Promise((r) => raw.once('connect', r));
    raw.write(connectionRequest('mallory', 0x0b));
    const cc = await readSome(raw, 19);
    expect(cc.readUInt8(11)).toBe(2); // RDP_NEG_RSP
    expect(cc.readUInt32LE(15)).toBe(2); // PROTOCOL_HYBRID
    raw.removeAllListeners('data');
    raw.removeAllListeners('close');
    const secure = tls.connect({ socket: raw, rejectUnauthorized: false });
    await new Promise((r) => secure.once('secureConnect', r));
    expect(secure.getPeerCertificate().subject.CN).toBe('WS-0142');
    secure.write(tsReq(ntlmNegotiate));
    const challenge = parseTsRequest(await readSome(secure, 100));
    expect(challenge.negoToken?.subarray(0, 8).toString('latin1')).toBe('NTLMSSP\0');
    expect(challenge.negoToken?.readUInt32LE(8)).toBe(2);
    secure.write(tsReq(ntlmAuthenticate('mallory', 'CORP', 'KALI')));
    const failure = await readSome(secure, 10);
    expect(failure.toString('hex')).toContain('a406020' + '4c000006d');
    const auth = await eventually(() => h.ofKind('auth').find((c) => c.data.username === 'mallory'));
    expect(auth.data).toMatchObject({
      method: 'credssp-ntlm',
      domain: 'CORP',
      workstation: 'KALI',
      ntlmVersion: 'NTLMv2',
      success: false,
    });
    const x224 = h
      .ofKind('command')
      .find((c) => c.data.command === 'X224_CONNECTION_REQUEST' && c.data.username === 'mallory');
    expect(x224?.data.requestedProtocols).toEqual(['ssl', 'hybrid', 'hybridEx']);
    secure.destroy();
  });

  it('refuses a client that cannot do NLA with HYBRID_REQUIRED_BY_SERVER', async () => {
    const raw = net.connect({ host: ip, port: 3389 });
    await new Promise((r) => raw.once('connect', r));
    raw.write(connectionRequest('legacy', 0));
    const resp = await readSome(raw, 19);
    expect(resp.readUInt8(11)).toBe(3);
    expect(resp.readUInt32LE(15)).toBe(5);
    raw.destroy();
  });
});

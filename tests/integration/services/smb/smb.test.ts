import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { smbService } from '../../../../agent/services/smb/smb';
import { eventually } from '../../../helpers/eventually';
import { run, tcpConnect } from '../raw-clients';
import { startService, type ServiceHarness } from '../service-harness';

const ip = '127.33.1.1';

describe('smb service', () => {
  let h: ServiceHarness;
  beforeAll(async () => {
    h = await startService(smbService, {
      ip,
      name: 'fs-01',
      hostname: 'FS-01',
      archetype: 'windows-workstation',
      nmapOs: 'windows',
    });
  });
  afterAll(async () => h.stop());

  it('binds 445 and 139', () => {
    expect(h.running.bound).toEqual(['445/tcp', '139/tcp']);
  });

  it('fails smbclient with NT_STATUS_LOGON_FAILURE and captures the NTLMv2 response', async () => {
    const r = await run('smbclient', ['-L', `//${ip}`, '-U', 'alice%Winter2024!', '-m', 'SMB3']);
    expect(r.stdout + r.stderr).toContain('NT_STATUS_LOGON_FAILURE');
    const auth = await eventually(() => h.ofKind('auth').find((c) => c.data.username === 'alice'));
    expect(auth.data.method).toBe('ntlmssp');
    expect(auth.data.ntlmVersion).toBe('NTLMv2');
    expect(auth.data.dialect).toBe('3.1.1');
    expect(String(auth.data.hashcat)).toMatch(/^alice::[^:]*:[0-9a-f]{16}:[0-9a-f]{32}:[0-9a-f]+$/);
    // The CHALLENGE's AV pairs (our NetBIOS name) come back inside the client's NTLMv2 blob.
    expect(String(auth.data.ntlmv2Response)).toContain(Buffer.from('FS-01', 'utf16le').toString('hex'));
  });

  it('answers nmap smb2-security-mode and smb-protocols like modern Windows', async () => {
    const r = await run('nmap', ['-Pn', '-p445', '--script', 'smb2-security-mode,smb-protocols', ip], 60_000);
    expect(r.stdout).toContain('Message signing enabled but not required');
    expect(r.stdout).toMatch(/3:?1:?1/);
    expect(r.stdout).not.toMatch(/NT LM 0\.12 \(SMBv1\)/);
  });

  it('upgrades an SMB1 negotiate naming SMB 2.??? to an SMB2 response with dialect 0x02FF', async () => {
    const dialects = ['NT LM 0.12', 'SMB 2.002', 'SMB 2.???'].map((d) =>
      Buffer.concat([Buffer.from([2]), Buffer.from(d + '\0', 'latin1')]),
    );
    const bytes = Buffer.concat(dialects);
    const hdr = Buffer.alloc(32);
    hdr.write('\xffSMB', 0, 'latin1');
    hdr.writeUInt8(0x72, 4);
    const body = Buffer.concat([Buffer.from([0]), Buffer.from([bytes.length & 0xff, bytes.length >> 8]), bytes]);
    const msg = Buffer.concat([hdr, body]);
    const c = await tcpConnect(ip, 445);
    c.send(Buffer.concat([Buffer.from([0, 0, msg.length >> 8, msg.length & 0xff]), msg]));
    const got = await c.read((b) => b.length >= 4 && b.length >= 4 + b.readUInt16BE(2));
    expect(got.subarray(4, 8).toString('latin1')).toBe('\xfeSMB');
    expect(got.readUInt16LE(4 + 64 + 4)).toBe(0x02ff);
    c.end();
  });

  it('answers a session message on 139 without a session request with a negative session response', async () => {
    const c = await tcpConnect(ip, 139);
    c.send(Buffer.from([0, 0, 0, 4, 0xff, 0x53, 0x4d, 0x42]));
    const got = await c.read((b) => b.length >= 5);
    expect([...got.subarray(0, 5)]).toEqual([0x83, 0, 0, 1, 0x8f]);
    await c.closed;
  });

  it('records garbage as malformed and closes', async () => {
    const before = h.ofKind('malformed').length;
    const c = await tcpConnect(ip, 445);
    c.send(Buffer.from([0x42, 0, 0, 0, 1, 2, 3]));
    await c.closed;
    await eventually(() => h.ofKind('malformed').length > before);
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { conpotService } from '../../../../agent/services/ics/conpot';
import { eventually } from '../../../helpers/eventually';
import { run, tcpConnect } from '../raw-clients';
import { startService, type ServiceHarness } from '../service-harness';

const ip = '127.33.9.1';

function mbap(tid: number, unit: number, pdu: number[]): Buffer {
  const h = Buffer.alloc(7);
  h.writeUInt16BE(tid, 0);
  h.writeUInt16BE(pdu.length + 1, 4);
  h.writeUInt8(unit, 6);
  return Buffer.concat([h, Buffer.from(pdu)]);
}

const frameDone = (b: Buffer) => b.length >= 6 && b.length >= 6 + b.readUInt16BE(4);

describe('conpot service', () => {
  let h: ServiceHarness;
  beforeAll(async () => {
    h = await startService(conpotService, { ip, name: 'plc-7', archetype: 'industrial-control', nmapOs: 'embedded' });
  });
  afterAll(async () => h.stop());

  it('is identified by nmap modbus-discover and s7-info', async () => {
    const r = await run('nmap', ['-Pn', '-p502,102', '--script', 'modbus-discover,s7-info', ip], 60_000);
    expect(r.stdout).toContain('Device identification: Schneider Electric BMX P34 2020');
    expect(r.stdout).toContain('Module: 6ES7 315-2EH14-0AB0');
    expect(r.stdout).toContain('Module Type: CPU 315-2 PN/DP');
    expect(r.stdout).toMatch(/Serial Number: S C-[0-9A-F]{10}/);
  });

  it('serves stable holding registers, records writes as commands and reads them back', async () => {
    const c = await tcpConnect(ip, 502);
    c.send(mbap(1, 1, [0x03, 0x00, 0x00, 0x00, 0x0a]));
    const first = await c.read(frameDone);
    expect(first.readUInt8(7)).toBe(3);
    expect(first.readUInt8(8)).toBe(20);
    const regs = first.subarray(9, 29);
    c.end();
    const c2 = await tcpConnect(ip, 502);
    c2.send(mbap(2, 1, [0x03, 0x00, 0x00, 0x00, 0x0a]));
    expect((await c2.read(frameDone)).subarray(9, 29)).toEqual(regs);
    c2.send(mbap(3, 1, [0x06, 0x00, 0x04, 0x12, 0x34]));
    const echo = await c2.read((b) => b.length >= 29 + 12);
    expect([...echo.subarray(29 + 7, 29 + 12)]).toEqual([0x06, 0x00, 0x04, 0x12, 0x34]);
    c2.send(mbap(4, 1, [0x03, 0x00, 0x04, 0x00, 0x01]));
    const back = await c2.read((b) => b.length >= 41 + 11);
    expect(back.readUInt16BE(41 + 9)).toBe(0x1234);
    const w = await eventually(() => h.ofKind('command').find((x) => x.data.function === 'write_single_register'));
    expect(w.data).toMatchObject({ protocol: 'modbus', address: 4, values: [0x1234] });
    c2.end();
  });

  it('answers unknown functions with ILLEGAL FUNCTION', async () => {
    const c = await tcpConnect(ip, 502);
    c.send(mbap(9, 1, [0x41]));
    const got = await c.read(frameDone);
    expect([...got.subarray(7, 9)]).toEqual([0xc1, 0x01]);
    c.end();
  });
});

import { createHash, randomBytes } from 'node:crypto';
import { writeFile, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tftpService } from '../../../../agent/services/ftp/tftp';
import { eventually } from '../../../helpers/eventually';
import { makeTmpDir } from '../../../helpers/tmp-dir';
import { run, udpExchange } from '../raw-clients';
import { startService, type ServiceHarness } from '../service-harness';

const ip = '127.33.4.1';

describe('tftp service', () => {
  let h: ServiceHarness;
  let tmp: Awaited<ReturnType<typeof makeTmpDir>>;
  beforeAll(async () => {
    h = await startService(tftpService, { ip, archetype: 'file-server' });
    tmp = await makeTmpDir('decnet-tftp-');
  });
  afterAll(async () => {
    await h.stop();
    await tmp.remove();
  });

  it('answers tftp-hpa RRQ with "File not found" and records the file name', async () => {
    const r = await run('tftp', [ip, '-m', 'binary', '-c', 'get', 'pxelinux.cfg/default', join(tmp.dir, 'got')]);
    expect(r.stdout + r.stderr).toContain('File not found');
    const req = await eventually(() => h.ofKind('request').find((c) => c.data.filename === 'pxelinux.cfg/default'));
    expect(req.data).toMatchObject({ op: 'RRQ', mode: 'octet' });
  });

  it('accepts an upload from tftp-hpa and records its size and sha256 without storing it', async () => {
    const payload = randomBytes(5_000);
    const file = join(tmp.dir, 'implant.bin');
    await writeFile(file, payload);
    const r = await run('tftp', [ip, '-m', 'binary', '-c', 'put', file, 'implant.bin']);
    expect(r.code).toBe(0);
    const done = await eventually(() =>
      h.ofKind('command').find((c) => c.data.filename === 'implant.bin' && c.data.complete === true),
    );
    expect(done.data.size).toBe(5_000);
    expect(done.data.sha256).toBe(createHash('sha256').update(payload).digest('hex'));
    await expect(readFile(join(h.dataDir, 'implant.bin'))).rejects.toThrow();
  });

  it('answers atftp too', async () => {
    const r = await run('atftp', ['-g', '-r', 'startup-config', '-l', join(tmp.dir, 'cfg'), ip]);
    expect(r.stdout + r.stderr).toMatch(/File not found/i);
  });

  it('ignores non-request opcodes on port 69 like tftpd-hpa, and names a bad mode', async () => {
    expect(await udpExchange(ip, 69, Buffer.from([0, 4, 0, 1]), 300)).toBeNull();
    const reply = await udpExchange(ip, 69, Buffer.from('\0\x01a.txt\0binary\0', 'latin1'));
    expect(reply?.readUInt16BE(2)).toBe(4);
    expect(reply?.subarray(4).toString('latin1')).toBe('Unknown mode\0');
  });
});

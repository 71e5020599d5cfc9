import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mqttService } from '../../../agent/services/infra/mqtt';
import { makeTmpDir } from '../../helpers/tmp-dir';
import { run, startService, type ServiceHarness } from '../services/service-harness';
import { connect, pkt, publish, str, subscribe, u16, unsubscribe } from './mqtt-packets';
import { nmapServiceLine, probeAnswer } from './nmap-probes';
import { describeDiffs, exchangeDiffs, probeDiffs } from './probe-diff';
import type { RealDaemon } from './real-daemon';
import { haveMosquitto, startRealMosquitto } from './real-mosquitto';

/**
 * Real Debian mosquitto 2.0.11 vs the mqtt decky (the debian persona claims 2.0.11, Debian's):
 * password-file broker (persona default: every CONNECT refused) on .31/.32, allow_anonymous on .33/.34.
 */
const [realIp, oursIp, realAnonIp, oursAnonIp] = ['127.21.4.31', '127.21.4.32', '127.21.4.33', '127.21.4.34'];

if (!haveMosquitto) console.warn('mqtt fidelity skipped: mosquitto missing (Debian package mosquitto)');

const v4 = connect();
const v5 = connect({ level: 5 });
// The identifier mosquitto assigns a v5 client without one is random: same shape, not same bytes.
const assignedId = (s: string) => s.replace(/auto-[0-9A-F]{8}(-[0-9A-F]{4}){3}-[0-9A-F]{12}/g, 'auto-<uuid>');

describe.skipIf(!haveMosquitto)('mqtt fidelity against a real Debian mosquitto', () => {
  let tmp: { dir: string; remove: () => Promise<void> };
  const real: RealDaemon[] = [];
  const ours: ServiceHarness[] = [];

  beforeAll(async () => {
    tmp = await makeTmpDir('decnet-fidelity-mqtt-');
    real.push(await startRealMosquitto(join(tmp.dir, 'real'), realIp));
    real.push(await startRealMosquitto(join(tmp.dir, 'real-anon'), realAnonIp, { anonymous: true }));
    ours.push(await startService(mqttService, { ip: oursIp }, { dataDir: join(tmp.dir, 'ours') }));
    const anon = { ip: oursAnonIp, serviceConfig: { mqtt: { anonymous: true } } };
    ours.push(await startService(mqttService, anon, { dataDir: join(tmp.dir, 'ours-anon') }));
  }, 60_000);
  afterAll(async () => {
    for (const o of ours) await o.stop();
    for (const r of real) await r.stop();
    await tmp?.remove();
  });

  it('answers every nmap probe (intensity 7) byte for byte like mosquitto, refusing or anonymous', async () => {
    const diffs = [...(await probeDiffs(realIp, oursIp, 1883)), ...(await probeDiffs(realAnonIp, oursAnonIp, 1883))];
    console.log(describeDiffs('mqtt', diffs));
    expect(diffs).toEqual([]);
  }, 180_000);

  it('judges CONNECTs like mosquitto: versions, names, flags, client ids, credentials', async () => {
    const requests = [
      v4,
      v5,
      connect({ name: 'MQIsdp', level: 3 }),
      connect({ name: 'MQIsdp', level: 3, id: 'x'.repeat(30) }),
      connect({ name: 'MQIsdp', level: 3, id: '' }),
      connect({ id: '' }),
      connect({ id: '', flags: 0 }),
      connect({ level: 5, id: '' }),
      connect({ level: 5, id: '', flags: 0 }),
      connect({ flags: 0xc2, tail: str('admin') + str('admin') }),
      connect({ level: 5, flags: 0xc2, tail: str('admin') + str('x') }),
      connect({ flags: 0x42, tail: str('x') }),
      connect({ level: 5, flags: 0x42, tail: str('x') }),
      connect({ level: 6 }),
      connect({ level: 2 }),
      connect({ level: 3 }),
      connect({ name: 'MQIsdp', level: 4 }),
      connect({ name: 'FOO' }),
      connect({ flags: 0x03 }),
      connect({ flags: 0x08 }),
      connect({ flags: 0x20 }),
      connect({ flags: 0x1e, tail: str('w') + str('x') }),
      connect({ flags: 0x06, tail: str('will/t') + str('bye') }),
      connect({ tail: 'zz' }),
      '\x11' + v4.slice(1),
      pkt(12, 0, ''),
      v4 + v4,
    ];
    const diffs = [
      ...(await exchangeDiffs(realIp, oursIp, 1883, requests)),
      ...(await exchangeDiffs(realAnonIp, oursAnonIp, 1883, requests, assignedId)),
    ];
    expect(diffs).toEqual([]);
  }, 180_000);

  it('serves an anonymous client like mosquitto: acks, deliveries, retained messages, $SYS', async () => {
    // Mosquitto is one broker for all: each exchange gets its own one-letter topic root (same
    // length, so packet lengths hold) so that a subscription or retained message of an earlier
    // connection not yet torn down cannot leak in.
    const clear = (l: number) => publish(l, 't/a', '', 0, true);
    const templates = [
      v4 + pkt(12, 0, ''),
      v4 + subscribe(4, 1, '$SYS/broker/version', 0),
      v5 + subscribe(5, 1, '$SYS/broker/version', 0),
      v4 + subscribe(4, 1, 't/#', 1) + publish(4, 't/a', 'x', 1),
      v4 + subscribe(4, 1, 't/#', 0) + publish(4, 't/a', 'x', 1),
      v4 + subscribe(4, 1, 't/#', 2) + publish(4, 't/a', 'x', 2) + pkt(6, 2, u16(7)),
      v4 + subscribe(4, 1, 't/#', 1) + subscribe(4, 2, 't/+', 0) + publish(4, 't/a', 'x'),
      v4 + subscribe(4, 1, 't/#', 0) + publish(4, 't/a', 'x', 0, true) + clear(4),
      v4 + publish(4, 't/a', 'x', 1, true) + subscribe(4, 1, 't/#', 1) + clear(4),
      v4 + publish(4, 't/a', 'x', 0, true) + clear(4) + subscribe(4, 1, 't/#', 0),
      v4 + subscribe(4, 1, 't/#', 0) + unsubscribe(4, 3, ['t/#']) + publish(4, 't/a', 'x'),
      v4 + subscribe(4, 1, 'a', 0) + subscribe(4, 1, 'a', 1),
      v4 + subscribe(4, 1, 'a', 3),
      v4 + subscribe(4, 1, 'a', 4),
      v4 + subscribe(4, 1, 'a', 0, 0),
      v4 + subscribe(4, 0, 'a', 0),
      v4 + subscribe(4, 1, '', 0),
      v4 + subscribe(4, 1, 'a/#/b', 0),
      v4 + unsubscribe(4, 3, ['a'], 0),
      v4 + publish(4, 't/#', 'x'),
      v4 + pkt(14, 0, ''),
      v5 + subscribe(5, 1, 't/#', 1) + publish(5, 't/a', 'x', 1),
      v5 + subscribe(5, 1, 't/#', 0x05) + publish(5, 't/a', 'x', 1),
      v5 + subscribe(5, 1, 't/#', 0x08) + publish(5, 't/a', 'x', 0, true) + clear(5),
      v5 + publish(5, 't/a', 'x', 0, true) + subscribe(5, 1, 't/#', 0x20) + clear(5),
      v5 + publish(5, 't/a', 'x', 1),
      v5 + publish(5, 't/a', 'x', 2),
      v5 + subscribe(5, 1, 't/#', 0) + unsubscribe(5, 3, ['t/#', 'zz']),
      v5 + pkt(12, 0, ''),
    ];
    const roots = 'bcdefghijklmnopqrsuvwxyzBCDEFGHIJKLMNOP';
    const requests = templates.map((q, i) =>
      q.split('\x00\x03t/').join(`\x00\x03${roots[i]}/`).split('\x00\x01a').join(`\x00\x01${roots[i]}`),
    );
    expect(await exchangeDiffs(realAnonIp, oursAnonIp, 1883, requests)).toEqual([]);
  }, 180_000);

  it('gives mosquitto_sub and mosquitto_pub the same answers', async () => {
    const cli = async (prog: string, ip: string, args: string[]) => {
      const r = await run(prog, ['-h', ip, '-i', 'fidelity', ...args], { timeoutMs: 10_000 });
      return `${r.code} ${r.stdout}${r.stderr}`;
    };
    const cases: Array<[string, string[], boolean]> = [
      ['mosquitto_sub', ['-t', 'x', '-C', '1', '-W', '3'], false],
      ['mosquitto_sub', ['-V', '5', '-t', 'x', '-C', '1', '-W', '3'], false],
      ['mosquitto_sub', ['-V', '31', '-t', 'x', '-C', '1', '-W', '3'], false],
      ['mosquitto_sub', ['-t', '$SYS/broker/version', '-C', '1', '-v'], true],
      ['mosquitto_sub', ['-V', '5', '-t', '$SYS/broker/version', '-C', '1', '-v'], true],
      ['mosquitto_pub', ['-d', '-V', '5', '-q', '1', '-t', 't/x', '-m', 'hi'], true],
      ['mosquitto_pub', ['-d', '-q', '2', '-t', 't/x', '-m', 'hi'], true],
    ];
    for (const [prog, args, anon] of cases) {
      const [r, o] = await Promise.all([
        cli(prog, anon ? realAnonIp : realIp, args),
        cli(prog, anon ? oursAnonIp : oursIp, args),
      ]);
      expect(o, `${prog} ${args.join(' ')}`).toBe(r);
    }
  }, 120_000);

  it('still differs on $SYS/broker/uptime: ours claims days, a test broker has just started', async () => {
    const req = v4 + subscribe(4, 1, '$SYS/broker/uptime', 0);
    const [r, o] = await Promise.all([
      probeAnswer(realAnonIp, 1883, Buffer.from(req, 'latin1')),
      probeAnswer(oursAnonIp, 1883, Buffer.from(req, 'latin1')),
    ]);
    const uptime = (b: Buffer) => /\$SYS\/broker\/uptime(\d+) seconds$/.exec(b.toString('latin1'))?.[1];
    expect(Number(uptime(r))).toBeLessThan(3600);
    expect(Number(uptime(o))).toBeGreaterThan(86_400);
  }, 30_000);
  // Last: nmap's mqtt-subscribe (a version script) leaves a persistent session subscribed to "#"
  // on the real broker (clean session off), which changes later answers there (v5 PUBACK loses
  // "no matching subscribers"); ours keeps nothing across connections.
  it('is named the same by nmap -sV', async () => {
    const scan = (ip: string) => nmapServiceLine(ip, 1883);
    const lines = await Promise.all([realIp, oursIp, realAnonIp, oursAnonIp].map(scan));
    expect(lines[0]).toMatch(/^1883\/tcp open mqtt/);
    expect(lines[1]).toBe(lines[0]);
    expect(lines[3]).toBe(lines[2]);
  }, 150_000);
});

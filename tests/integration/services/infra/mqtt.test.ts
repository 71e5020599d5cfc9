import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mqttService } from '../../../../agent/services/infra/mqtt';
import { eventually } from '../../../helpers/eventually';
import { connectRaw, run } from '../mail-infra-helpers';
import { startService, type ServiceHarness } from '../service-harness';

const ip = '127.31.0.9';
const openIp = '127.31.0.10';

describe('mqtt honeypot (Mosquitto persona)', () => {
  let h: ServiceHarness;
  let open: ServiceHarness;
  beforeAll(async () => {
    h = await startService(mqttService, { ip, distro: 'alpine', services: ['mqtt'] });
    open = await startService(mqttService, {
      ip: openIp,
      distro: 'debian',
      services: ['mqtt'],
      serviceConfig: { mqtt: { anonymous: true } },
    });
  });
  afterAll(async () => {
    await h.stop();
    await open.stop();
  });

  it('refuses mosquitto_pub (v3.1.1 and v5) as not authorised and captures the credentials', async () => {
    const r = await run('mosquitto_pub', [
      '-h',
      ip,
      '-i',
      'plc-7',
      '-u',
      'admin',
      '-P',
      'public',
      '-t',
      'x',
      '-m',
      'y',
    ]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/not authori[sz]ed/i);
    const r5 = await run('mosquitto_pub', ['-V', 'mqttv5', '-h', ip, '-u', 'root', '-P', 'toor', '-t', 'x', '-m', 'y']);
    expect(r5.code).not.toBe(0);
    await eventually(() => h.ofKind('auth').length >= 2);
    expect(h.ofKind('auth').map((a) => a.data)).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          clientId: 'plc-7',
          username: 'admin',
          password: 'public',
          protocol: 'MQTT/4',
          success: false,
        }),
        expect.objectContaining({ username: 'root', password: 'toor', protocol: 'MQTT/5' }),
      ]),
    );
  });

  it('an anonymous broker accepts, records PUBLISH and reveals its version on $SYS', async () => {
    const pub = await run('mosquitto_pub', ['-h', openIp, '-t', 'factory/line1/cmd', '-m', 'STOP', '-q', '1']);
    expect(pub.code).toBe(0);
    const sub = await run('mosquitto_sub', ['-h', openIp, '-t', '$SYS/broker/version', '-C', '1', '-W', '10']);
    expect(sub.stdout.trim()).toBe('mosquitto version 2.0.11');
    const published = await eventually(() => open.ofKind('command').find((c) => c.data.verb === 'PUBLISH'));
    expect(published.data).toMatchObject({ topic: 'factory/line1/cmd', payload: 'STOP', qos: 1 });
    expect(open.ofKind('command').some((c) => c.data.verb === 'SUBSCRIBE')).toBe(true);
  });

  it('a bad remaining length is recorded as malformed and closes the connection', async () => {
    const c = await connectRaw(ip, 1883);
    c.socket.write(Buffer.from([0x10, 0xff, 0xff, 0xff, 0xff, 0x01]));
    await new Promise((r) => c.socket.once('close', r));
    await eventually(() => h.ofKind('malformed').length > 0);
  });
});

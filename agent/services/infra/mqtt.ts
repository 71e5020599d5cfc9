import { randomUUID } from 'node:crypto';
import { distros } from '../../../shared/catalog/distros';
import {
  brokerPublish,
  brokerRelease,
  brokerSubscribe,
  brokerUnsubscribe,
  newBrokerState,
  type MqttBrokerState,
} from './mqtt-broker';
import {
  ackPacket,
  connack,
  MqttError,
  mqttLimits,
  packet,
  packetTypes,
  parseConnect,
  parsePublish,
  parseSubscribe,
  parseUnsubscribe,
  Reader,
  readPacket,
} from './mqtt-codec';
import { personaBool, personaString } from '../kit/persona';
import { listenTcp } from '../kit/tcp-listener';
import type { RunningService, ServiceContext, ServiceModule } from '../kit/types';

/**
 * An MQTT broker answering like Mosquitto 2.x. Without `anonymous` every CONNECT is refused the way
 * mosquitto refuses a client failing its password file (v3 "not authorised" 5, v5 0x87); with it,
 * clients are accepted and their SUBSCRIBE/PUBLISH traffic recorded, and `$SYS` answers with the
 * persona version as a real broker's does.
 */
const refused = { v3: 0x05, v5: 0x87 } as const;

/**
 * Mosquitto 2.0's v5 CONNACK properties: topic alias maximum 10, the identifier it assigned to a
 * client that sent none ("auto-" and an upper-case UUID), receive maximum 20.
 */
function v5Accepted(assigned: string | null): Buffer {
  const id = assigned === null ? [] : [0x12, 0, assigned.length, ...Buffer.from(assigned)];
  const props = [0x22, 0, 10, ...id, 0x21, 0, 20];
  return packet(packetTypes.CONNACK, 0, [0, 0, props.length, ...props]);
}

/**
 * handle__connect's checks before it reads the flags: the name decides the one level it accepts
 * (MQIsdp: 3, MQTT: 4 or 5; otherwise CONNACK 1); an unknown name is dropped without an answer.
 */
function protocolCheck(body: Buffer): 'ok' | 'bad-version' {
  const r = new Reader(body);
  const name = r.str();
  const level = r.u8() & 0x7f;
  if (name === 'MQIsdp') return level === 3 ? 'ok' : 'bad-version';
  if (name === 'MQTT') return level === 4 || level === 5 ? 'ok' : 'bad-version';
  throw new MqttError(`unknown protocol name ${JSON.stringify(name.slice(0, 32))}`);
}

function sysTopics(version: string, startedAt: number): Array<[string, string]> {
  return [
    ['$SYS/broker/version', `mosquitto version ${version}`],
    ['$SYS/broker/uptime', `${Math.floor((Date.now() - startedAt) / 1000)} seconds`],
    ['$SYS/broker/clients/connected', '1'],
    ['$SYS/broker/clients/total', '1'],
    ['$SYS/broker/subscriptions/count', '1'],
    ['$SYS/broker/messages/stored', '0'],
  ];
}

async function start(ctx: ServiceContext): Promise<RunningService> {
  const version = personaString(ctx.persona, 'version', '') || distros[ctx.decky.distro].mosquittoVersion;
  const anonymous = personaBool(ctx.persona, 'anonymous', false);
  // The broker "has been up" for a while already: a freshly started uptime would be a tell.
  const startedAt = Date.now() - 86_400_000 * (3 + (ctx.decky.name.length % 20));

  const listener = await listenTcp({
    host: ctx.host,
    port: ctx.port(1883),
    capture: ctx.capture,
    log: ctx.log,
    onConnection: (socket, meta) => {
      const { src, session } = meta;
      let buf: Buffer = Buffer.alloc(0);
      let level = 0;
      let connected = false;
      let broker: MqttBrokerState | null = null;
      let packets = 0;
      let done = false;
      const close = () => {
        done = true;
        socket.end();
        setTimeout(() => socket.destroy(), 5_000).unref();
      };
      const send = (b: Buffer) => {
        if (socket.writable) socket.write(b);
      };
      const malformed = (reason: string) => {
        ctx.capture({ src, kind: 'malformed', data: { session, reason } });
        close();
      };
      socket.setTimeout(mqttLimits.connectTimeoutMs, () => socket.destroy());

      const onPacket = (type: number, flags: number, body: Buffer) => {
        if (!connected) {
          if (type !== packetTypes.CONNECT) return malformed(`first packet type ${type} is not CONNECT`);
          if (flags !== 0) return malformed('CONNECT with fixed-header flags set');
          if (protocolCheck(body) === 'bad-version') {
            send(connack(4, 0x01));
            return close();
          }
          const c = parseConnect(body);
          level = c.level & 0x7f;
          ctx.capture({
            src,
            kind: 'auth',
            data: {
              session,
              method: 'CONNECT',
              protocol: `${c.protocolName}/${level}`,
              clientId: c.clientId,
              username: c.username ?? '',
              ...(c.password !== null ? { password: c.password } : {}),
              keepAlive: c.keepAlive,
              ...(c.will ? { will: c.will } : {}),
              success: anonymous,
            },
          });
          // An empty client id: refused on 3.1, and on 3.1.1 without clean session; 5 assigns one.
          if (c.clientId.length === 0 && (level === 3 || (level === 4 && !c.cleanStart))) {
            send(connack(level, 0x02));
            return close();
          }
          if (level < 5 && c.password !== null && c.username === null) return malformed('password without username');
          if (!anonymous) {
            send(connack(level, level === 5 ? refused.v5 : refused.v3));
            return close();
          }
          connected = true;
          broker = newBrokerState(level, () => sysTopics(version, startedAt));
          socket.setTimeout(mqttLimits.idleMs, () => socket.destroy());
          const assigned = c.clientId.length === 0 ? `auto-${randomUUID().toUpperCase()}` : null;
          return send(level === 5 ? v5Accepted(assigned) : connack(level, 0));
        }
        const st = broker!;
        switch (type) {
          case packetTypes.PUBLISH: {
            const p = parsePublish(flags, body, level);
            ctx.capture({
              src,
              kind: 'command',
              data: {
                session,
                verb: 'PUBLISH',
                topic: p.topic.slice(0, 1024),
                qos: p.qos,
                retain: p.retain,
                payload: p.payload.toString('utf8').slice(0, 16 * 1024),
                bytes: p.payload.length,
              },
            });
            for (const b of brokerPublish(st, p)) send(b);
            return;
          }
          case packetTypes.PUBREL:
            if (flags !== 2) return malformed('PUBREL with bad flags');
            if (body.length >= 2) for (const b of brokerRelease(st, body.readUInt16BE(0))) send(b);
            return;
          case packetTypes.PUBREC:
            // Our QoS 2 delivery to the client: release it.
            if (body.length >= 2) send(ackPacket(packetTypes.PUBREL, body.readUInt16BE(0)));
            return;
          case packetTypes.SUBSCRIBE: {
            if (flags !== 2) return malformed('SUBSCRIBE with bad flags');
            const s = parseSubscribe(body, level);
            ctx.capture({
              src,
              kind: 'command',
              data: { session, verb: 'SUBSCRIBE', topics: s.topics.map((t) => t.filter.slice(0, 1024)) },
            });
            for (const b of brokerSubscribe(st, s)) send(b);
            return;
          }
          case packetTypes.UNSUBSCRIBE: {
            if (flags !== 2) return malformed('UNSUBSCRIBE with bad flags');
            const u = parseUnsubscribe(body, level);
            return send(brokerUnsubscribe(st, u.packetId, u.filters));
          }
          case packetTypes.PINGREQ:
            return send(Buffer.from([packetTypes.PINGRESP << 4, 0]));
          case packetTypes.DISCONNECT:
            ctx.capture({ src, kind: 'command', data: { session, verb: 'DISCONNECT' } });
            return close();
          case packetTypes.PUBACK:
          case packetTypes.PUBCOMP:
            return;
          default:
            return malformed(`unexpected packet type ${type}`);
        }
      };

      socket.on('data', (chunk: Buffer) => {
        if (done) return;
        buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
        try {
          for (;;) {
            const p = readPacket(buf);
            if (!p) return;
            buf = buf.subarray(p.used);
            if ((packets += 1) > mqttLimits.maxPacketsPerConnection)
              return malformed(`more than ${mqttLimits.maxPacketsPerConnection} packets`);
            onPacket(p.type, p.flags, p.body);
            if (done) return;
          }
        } catch (err) {
          if (err instanceof MqttError) return malformed(err.message);
          throw err;
        }
      });
    },
  });
  return { bound: [listener.bound], close: listener.close };
}

export const mqttService: ServiceModule = { name: 'mqtt', start };

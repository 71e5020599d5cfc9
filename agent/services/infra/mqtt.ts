import { distros } from '../../../shared/catalog/distros';
import {
  ackPacket,
  connack,
  MqttError,
  mqttLimits,
  packetTypes,
  parseConnect,
  parsePublish,
  parseSubscribe,
  parseUnsubscribe,
  publishPacket,
  readPacket,
  suback,
  topicMatches,
  unsuback,
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
          const c = parseConnect(body);
          level = c.level;
          ctx.capture({
            src,
            kind: 'auth',
            data: {
              session,
              method: 'CONNECT',
              protocol: `${c.protocolName}/${c.level}`,
              clientId: c.clientId,
              username: c.username ?? '',
              ...(c.password !== null ? { password: c.password } : {}),
              keepAlive: c.keepAlive,
              ...(c.will ? { will: c.will } : {}),
              success: anonymous,
            },
          });
          if (![3, 4, 5].includes(c.level)) {
            send(connack(4, 0x01));
            return close();
          }
          if (c.level === 3 && (c.clientId.length === 0 || c.clientId.length > 23)) {
            send(connack(3, 0x02));
            return close();
          }
          if (!anonymous) {
            send(connack(level, level === 5 ? refused.v5 : refused.v3));
            return close();
          }
          connected = true;
          socket.setTimeout(mqttLimits.idleMs, () => socket.destroy());
          return send(connack(level, 0));
        }
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
            if (p.qos === 1 && p.packetId !== null) send(ackPacket(packetTypes.PUBACK, p.packetId));
            if (p.qos === 2 && p.packetId !== null) send(ackPacket(packetTypes.PUBREC, p.packetId));
            return;
          }
          case packetTypes.PUBREL:
            if (body.length >= 2) send(ackPacket(packetTypes.PUBCOMP, body.readUInt16BE(0)));
            return;
          case packetTypes.SUBSCRIBE: {
            const s = parseSubscribe(body, level);
            ctx.capture({
              src,
              kind: 'command',
              data: { session, verb: 'SUBSCRIBE', topics: s.topics.map((t) => t.filter.slice(0, 1024)) },
            });
            send(
              suback(
                level,
                s.packetId,
                s.topics.map((t) => Math.min(t.qos, 2)),
              ),
            );
            for (const [topic, value] of sysTopics(version, startedAt)) {
              if (s.topics.some((t) => topicMatches(t.filter, topic))) send(publishPacket(level, topic, value, true));
            }
            return;
          }
          case packetTypes.UNSUBSCRIBE: {
            const u = parseUnsubscribe(body, level);
            return send(unsuback(level, u.packetId, u.filters.length));
          }
          case packetTypes.PINGREQ:
            return send(Buffer.from([packetTypes.PINGRESP << 4, 0]));
          case packetTypes.DISCONNECT:
            ctx.capture({ src, kind: 'command', data: { session, verb: 'DISCONNECT' } });
            return close();
          case packetTypes.PUBACK:
          case packetTypes.PUBREC:
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

import {
  ackPacket,
  MqttError,
  packet,
  packetTypes,
  type PublishPacket,
  type SubscribePacket,
  topicMatches,
} from './mqtt-codec';

/**
 * What one accepted MQTT client sees of the broker, as Mosquitto 2.0 behaves with that client
 * alone: its own subscriptions, messages it publishes delivered back to it when they match, and
 * its retained messages. Each connection has a private store, so one visitor's messages are never
 * served to another (a shared real broker would).
 */
export const mqttBrokerLimits = {
  maxRetained: 64,
  maxRetainedBytes: 64 * 1024,
  maxSubscriptions: 64,
  maxPending: 64,
} as const;

type Subscription = { qos: number; noLocal: boolean; retainAsPublished: boolean };
type Retained = { payload: Buffer; qos: number };

export type MqttBrokerState = {
  level: number;
  subs: Map<string, Subscription>;
  retained: Map<string, Retained>;
  retainedBytes: number;
  nextId: number;
  /** Inbound QoS 2 messages: Mosquitto stores them and routes them only at PUBREL. */
  pending: Map<number, PublishPacket>;
  /** Retained `$SYS` values, current at each subscribe. */
  sys: () => Array<[string, string]>;
};

export function newBrokerState(level: number, sys: MqttBrokerState['sys']): MqttBrokerState {
  return { level, subs: new Map(), retained: new Map(), retainedBytes: 0, nextId: 1, pending: new Map(), sys };
}

/** A topic filter Mosquitto accepts: not empty, `#` only as the whole last level, `+` a whole level. */
export function validFilter(f: string): boolean {
  if (f.length === 0) return false;
  const levels = f.split('/');
  return levels.every(
    (l, i) => (!l.includes('#') || (l === '#' && i === levels.length - 1)) && (!l.includes('+') || l === '+'),
  );
}

function publishOut(st: MqttBrokerState, topic: string, payload: Buffer, qos: number, retain: boolean): Buffer {
  const t = Buffer.from(topic);
  const parts: Buffer[] = [Buffer.from([t.length >> 8, t.length & 0xff]), t];
  if (qos > 0) {
    parts.push(Buffer.from([st.nextId >> 8, st.nextId & 0xff]));
    st.nextId = st.nextId === 0xffff ? 1 : st.nextId + 1;
  }
  if (st.level === 5) parts.push(Buffer.from([0]));
  parts.push(payload);
  return packet(packetTypes.PUBLISH, (qos << 1) | (retain ? 1 : 0), Buffer.concat(parts));
}

/** Retains (or, when empty, clears) and delivers one message to this client's matching subscriptions. */
function route(st: MqttBrokerState, p: PublishPacket): Buffer[] {
  if (p.retain) {
    const old = st.retained.get(p.topic);
    if (old) st.retainedBytes -= old.payload.length;
    st.retained.delete(p.topic);
    if (
      p.payload.length > 0 &&
      st.retained.size < mqttBrokerLimits.maxRetained &&
      st.retainedBytes + p.payload.length <= mqttBrokerLimits.maxRetainedBytes
    ) {
      st.retained.set(p.topic, { payload: Buffer.from(p.payload), qos: p.qos });
      st.retainedBytes += p.payload.length;
    }
  }
  const live = [...st.subs].filter(([f, s]) => topicMatches(f, p.topic) && !s.noLocal);
  if (live.length === 0) return [];
  const qos = Math.min(p.qos, Math.max(...live.map(([, s]) => s.qos)));
  return [publishOut(st, p.topic, p.payload, qos, p.retain && live.some(([, s]) => s.retainAsPublished))];
}

/** Deliveries to this client, then the acknowledgement, in Mosquitto's order. */
export function brokerPublish(st: MqttBrokerState, p: PublishPacket): Buffer[] {
  if (p.topic.length === 0 || /[#+]/.test(p.topic)) throw new MqttError('invalid publish topic');
  if (p.qos === 2 && p.packetId !== null) {
    if (st.pending.size >= mqttBrokerLimits.maxPending) throw new MqttError('too many unreleased QoS 2 messages');
    st.pending.set(p.packetId, { ...p, payload: Buffer.from(p.payload) });
    // Not yet routed, so its PUBREC never says "no matching subscribers".
    return [ackPacket(packetTypes.PUBREC, p.packetId)];
  }
  const matched = [...st.subs.keys()].some((f) => topicMatches(f, p.topic));
  const out = route(st, p);
  if (p.qos === 1 && p.packetId !== null) {
    const id = [p.packetId >> 8, p.packetId & 0xff];
    // v5 PUBACK reason 0x10: no subscription matched.
    out.push(
      st.level === 5 && !matched
        ? packet(packetTypes.PUBACK, 0, [...id, 0x10])
        : ackPacket(packetTypes.PUBACK, p.packetId),
    );
  }
  return out;
}

/** PUBREL: the stored QoS 2 message is routed now, then PUBCOMP. */
export function brokerRelease(st: MqttBrokerState, packetId: number): Buffer[] {
  const p = st.pending.get(packetId);
  st.pending.delete(packetId);
  return [...(p ? route(st, p) : []), ackPacket(packetTypes.PUBCOMP, packetId)];
}

/** SUBACK then the retained messages the new filters match; MqttError for what Mosquitto drops. */
export function brokerSubscribe(st: MqttBrokerState, s: SubscribePacket): Buffer[] {
  if (s.packetId === 0) throw new MqttError('subscribe with packet id 0');
  const codes: number[] = [];
  const retainedOut: Buffer[] = [];
  for (const t of s.topics) {
    const reserved = st.level === 5 ? t.options & 0xc0 || (t.options & 0x30) === 0x30 : t.options & 0xfc;
    if (reserved || (t.options & 0x03) === 3 || !validFilter(t.filter)) throw new MqttError('bad subscription');
    const qos = t.options & 0x03;
    const existed = st.subs.has(t.filter);
    if (!existed && st.subs.size >= mqttBrokerLimits.maxSubscriptions) throw new MqttError('too many subscriptions');
    const v5 = st.level === 5;
    st.subs.set(t.filter, {
      qos,
      noLocal: v5 && (t.options & 0x04) !== 0,
      retainAsPublished: v5 && (t.options & 0x08) !== 0,
    });
    codes.push(qos);
    const handling = v5 ? (t.options >> 4) & 0x03 : 0;
    if (handling === 2 || (handling === 1 && existed)) continue;
    for (const [topic, value] of st.sys())
      if (topicMatches(t.filter, topic)) retainedOut.push(publishOut(st, topic, Buffer.from(value), 0, true));
    for (const [topic, r] of st.retained)
      if (topicMatches(t.filter, topic)) retainedOut.push(publishOut(st, topic, r.payload, Math.min(r.qos, qos), true));
  }
  const head = [s.packetId >> 8, s.packetId & 0xff, ...(st.level === 5 ? [0] : [])];
  return [packet(packetTypes.SUBACK, 0, [...head, ...codes]), ...retainedOut];
}

/** UNSUBACK; v5 says per filter whether a subscription existed (0x11: none). */
export function brokerUnsubscribe(st: MqttBrokerState, packetId: number, filters: string[]): Buffer {
  const codes = filters.map((f) => (st.subs.delete(f) ? 0x00 : 0x11));
  const head = [packetId >> 8, packetId & 0xff];
  return packet(packetTypes.UNSUBACK, 0, st.level === 5 ? [...head, 0, ...codes] : head);
}

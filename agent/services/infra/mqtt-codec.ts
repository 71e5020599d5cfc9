/**
 * MQTT 3.1, 3.1.1 and 5.0 framing (OASIS MQTT v3.1.1 §2-3, v5.0 §2-3): the packets a broker
 * needs to read from a client and write back. Pure and bounded: nothing here allocates more than
 * the packet it was given.
 */
export const mqttLimits = {
  /** Largest packet accepted; CONNECT/SUBSCRIBE/small PUBLISH fit easily, floods do not. */
  maxPacketBytes: 64 * 1024,
  maxPacketsPerConnection: 1000,
  /** Time allowed before the CONNECT arrives (mosquitto drops silent sockets too). */
  connectTimeoutMs: 10_000,
  idleMs: 300_000,
} as const;

export const packetTypes = {
  CONNECT: 1,
  CONNACK: 2,
  PUBLISH: 3,
  PUBACK: 4,
  PUBREC: 5,
  PUBREL: 6,
  PUBCOMP: 7,
  SUBSCRIBE: 8,
  SUBACK: 9,
  UNSUBSCRIBE: 10,
  UNSUBACK: 11,
  PINGREQ: 12,
  PINGRESP: 13,
  DISCONNECT: 14,
  AUTH: 15,
} as const;

export type RawPacket = Readonly<{ type: number; flags: number; body: Buffer; used: number }>;

export class MqttError extends Error {}

/** One packet from the front of `buf`; null while incomplete. Throws MqttError on bad framing. */
export function readPacket(buf: Buffer): RawPacket | null {
  if (buf.length < 2) return null;
  const first = buf[0] as number;
  let len = 0;
  let mult = 1;
  let i = 1;
  for (;;) {
    if (i >= buf.length) return null;
    const b = buf[i] as number;
    len += (b & 0x7f) * mult;
    i += 1;
    if ((b & 0x80) === 0) break;
    mult *= 128;
    if (i > 4) throw new MqttError('remaining length longer than 4 bytes');
  }
  if (len > mqttLimits.maxPacketBytes) throw new MqttError(`packet of ${len} bytes over the limit`);
  if (buf.length < i + len) return null;
  return { type: first >> 4, flags: first & 0x0f, body: buf.subarray(i, i + len), used: i + len };
}

/** Cursor over a packet body; every read checks bounds. */
export class Reader {
  pos = 0;
  constructor(private readonly b: Buffer) {}
  get left(): number {
    return this.b.length - this.pos;
  }
  u8(): number {
    if (this.left < 1) throw new MqttError('truncated packet');
    return this.b[this.pos++] as number;
  }
  u16(): number {
    if (this.left < 2) throw new MqttError('truncated packet');
    const v = this.b.readUInt16BE(this.pos);
    this.pos += 2;
    return v;
  }
  varint(): number {
    let v = 0;
    let mult = 1;
    for (let n = 0; n < 4; n++) {
      const b = this.u8();
      v += (b & 0x7f) * mult;
      if ((b & 0x80) === 0) return v;
      mult *= 128;
    }
    throw new MqttError('variable byte integer too long');
  }
  bytes(n: number): Buffer {
    if (this.left < n) throw new MqttError('truncated packet');
    const v = this.b.subarray(this.pos, this.pos + n);
    this.pos += n;
    return v;
  }
  binary(): Buffer {
    return this.bytes(this.u16());
  }
  str(): string {
    return this.binary().toString('utf8');
  }
  rest(): Buffer {
    return this.bytes(this.left);
  }
  /** v5 properties are recorded only as their size: the broker honours none of them. */
  skipProperties(): void {
    this.bytes(this.varint());
  }
}

export type ConnectPacket = Readonly<{
  protocolName: string;
  level: number;
  cleanStart: boolean;
  keepAlive: number;
  clientId: string;
  will: { topic: string; payload: string; qos: number; retain: boolean } | null;
  username: string | null;
  password: string | null;
}>;

export function parseConnect(body: Buffer): ConnectPacket {
  const r = new Reader(body);
  const protocolName = r.str();
  if (protocolName !== 'MQTT' && protocolName !== 'MQIsdp')
    throw new MqttError(`unknown protocol name ${JSON.stringify(protocolName.slice(0, 32))}`);
  const level = r.u8();
  const flags = r.u8();
  if (flags & 0x01) throw new MqttError('reserved connect flag set');
  if (!(flags & 0x04) && flags & 0x38) throw new MqttError('will QoS or retain without a will');
  if ((flags & 0x18) === 0x18) throw new MqttError('will QoS 3');
  const keepAlive = r.u16();
  if (level === 5) r.skipProperties();
  const clientId = r.str();
  let will: ConnectPacket['will'] = null;
  if (flags & 0x04) {
    if (level === 5) r.skipProperties();
    const topic = r.str();
    const payload = r.binary();
    will = {
      topic: topic.slice(0, 1024),
      payload: payload.toString('utf8').slice(0, 4096),
      qos: (flags >> 3) & 0x03,
      retain: (flags & 0x20) !== 0,
    };
  }
  const username = flags & 0x80 ? r.str() : null;
  const password = flags & 0x40 ? r.binary().toString('utf8') : null;
  // Mosquitto drops a CONNECT with bytes after its payload.
  if (r.left > 0) throw new MqttError('trailing bytes in CONNECT');
  return {
    protocolName,
    level,
    cleanStart: (flags & 0x02) !== 0,
    keepAlive,
    clientId: clientId.slice(0, 1024),
    will,
    username: username?.slice(0, 1024) ?? null,
    password: password?.slice(0, 1024) ?? null,
  };
}

export type PublishPacket = Readonly<{
  topic: string;
  qos: number;
  retain: boolean;
  packetId: number | null;
  payload: Buffer;
}>;

export function parsePublish(flags: number, body: Buffer, level: number): PublishPacket {
  const r = new Reader(body);
  const qos = (flags >> 1) & 0x03;
  if (qos === 3) throw new MqttError('publish with QoS 3');
  const topic = r.str();
  const packetId = qos > 0 ? r.u16() : null;
  if (level === 5) r.skipProperties();
  return { topic, qos, retain: (flags & 0x01) !== 0, packetId, payload: r.rest() };
}

export type SubscribePacket = Readonly<{
  packetId: number;
  /** `options`: the raw subscription options byte (v3/v4: just the QoS). */
  topics: Array<{ filter: string; qos: number; options: number }>;
}>;

export function parseSubscribe(body: Buffer, level: number): SubscribePacket {
  const r = new Reader(body);
  const packetId = r.u16();
  if (level === 5) r.skipProperties();
  const topics: Array<{ filter: string; qos: number; options: number }> = [];
  while (r.left > 0 && topics.length < 64) {
    const filter = r.str();
    const options = r.u8();
    topics.push({ filter, qos: options & 0x03, options });
  }
  if (topics.length === 0) throw new MqttError('subscribe without topics');
  return { packetId, topics };
}

export function parseUnsubscribe(body: Buffer, level: number): { packetId: number; filters: string[] } {
  const r = new Reader(body);
  const packetId = r.u16();
  if (level === 5) r.skipProperties();
  const filters: string[] = [];
  while (r.left > 0 && filters.length < 64) filters.push(r.str());
  return { packetId, filters };
}

function varintBytes(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) b |= 0x80;
    out.push(b);
  } while (n > 0);
  return out;
}

export function packet(type: number, flags: number, body: Buffer | number[]): Buffer {
  const b = Buffer.isBuffer(body) ? body : Buffer.from(body);
  return Buffer.concat([Buffer.from([(type << 4) | flags, ...varintBytes(b.length)]), b]);
}

export function connack(level: number, code: number, sessionPresent = false): Buffer {
  return packet(
    packetTypes.CONNACK,
    0,
    level === 5 ? [sessionPresent ? 1 : 0, code, 0] : [sessionPresent ? 1 : 0, code],
  );
}

export function suback(level: number, packetId: number, codes: number[]): Buffer {
  return packet(packetTypes.SUBACK, 0, [packetId >> 8, packetId & 0xff, ...(level === 5 ? [0] : []), ...codes]);
}

export function unsuback(level: number, packetId: number, count: number): Buffer {
  return packet(packetTypes.UNSUBACK, 0, [
    packetId >> 8,
    packetId & 0xff,
    ...(level === 5 ? [0, ...new Array<number>(count).fill(0)] : []),
  ]);
}

export function ackPacket(type: number, packetId: number): Buffer {
  return packet(type, type === packetTypes.PUBREL ? 2 : 0, [packetId >> 8, packetId & 0xff]);
}

export function publishPacket(level: number, topic: string, payload: string, retain: boolean): Buffer {
  const t = Buffer.from(topic);
  const head = Buffer.from([t.length >> 8, t.length & 0xff]);
  return packet(
    packetTypes.PUBLISH,
    retain ? 1 : 0,
    Buffer.concat([head, t, ...(level === 5 ? [Buffer.from([0])] : []), Buffer.from(payload)]),
  );
}

/** MQTT topic filter matching (`+` one level, `#` the rest; `$` topics only match explicit filters). */
export function topicMatches(filter: string, topic: string): boolean {
  const f = filter.split('/');
  const t = topic.split('/');
  if (topic.startsWith('$') && (f[0] === '#' || f[0] === '+')) return false;
  for (let i = 0; i < f.length; i++) {
    if (f[i] === '#') return true;
    if (i >= t.length) return false;
    if (f[i] !== '+' && f[i] !== t[i]) return false;
  }
  return f.length === t.length;
}

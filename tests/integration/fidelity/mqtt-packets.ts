/** MQTT packet builders for the fidelity test: requests as latin1 strings, one connection each. */
const u16 = (n: number) => String.fromCharCode(n >> 8, n & 0xff);
const str = (s: string) => u16(s.length) + s;

function remaining(n: number): string {
  let out = '';
  do {
    let b = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) b |= 0x80;
    out += String.fromCharCode(b);
  } while (n > 0);
  return out;
}

export const pkt = (type: number, flags: number, body: string) =>
  String.fromCharCode((type << 4) | flags) + remaining(body.length) + body;

export type ConnectOpts = { name?: string; level?: number; flags?: number; id?: string; props?: string; tail?: string };

/** CONNECT (default: MQTT 3.1.1, clean session, keepalive 60, client id c1); `tail` after the id. */
export function connect(o: ConnectOpts = {}): string {
  const level = o.level ?? 4;
  const props = (level & 0x7f) === 5 ? remaining((o.props ?? '').length) + (o.props ?? '') : '';
  const head = str(o.name ?? 'MQTT') + String.fromCharCode(level, o.flags ?? 0x02) + u16(60);
  return pkt(1, 0, head + props + str(o.id ?? 'c1') + (o.tail ?? ''));
}

export const subscribe = (level: number, id: number, filter: string, options: number, flags = 2) =>
  pkt(8, flags, u16(id) + (level === 5 ? '\0' : '') + str(filter) + String.fromCharCode(options));

export const unsubscribe = (level: number, id: number, filters: string[], flags = 2) =>
  pkt(10, flags, u16(id) + (level === 5 ? '\0' : '') + filters.map(str).join(''));

export const publish = (level: number, topic: string, payload: string, qos = 0, retain = false, id = 7) =>
  pkt(3, (qos << 1) | (retain ? 1 : 0), str(topic) + (qos ? u16(id) : '') + (level === 5 ? '\0' : '') + payload);

export { str, u16 };

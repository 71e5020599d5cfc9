/**
 * Modbus/TCP (Modbus Application Protocol v1.1b3) server logic for a PLC persona: MBAP framing,
 * register/coil reads with stable plausible values, writes (recorded, kept in a bounded overlay)
 * and Read Device Identification (0x2B/0x0E).
 */
export const modbusLimits = {
  maxFrameBytes: 260,
  maxRegisters: 125,
  maxCoils: 2000,
  addressSpace: 10_000,
  maxOverlay: 1_024,
} as const;
export const modbusException = { illegalFunction: 1, illegalAddress: 2, illegalValue: 3 } as const;

export type ModbusDevice = Readonly<{
  vendor: string;
  product: string;
  revision: string;
  vendorUrl: string;
  productName: string;
  model: string;
}>;

export type ModbusEvent = Readonly<{
  fn: number;
  kind: 'read' | 'write' | 'identify' | 'other';
  address?: number;
  quantity?: number;
  values?: number[];
}>;

export type ModbusState = { holding: Map<number, number>; coils: Map<number, boolean> };

/** MBAP length field → whole frame length (7-byte header + PDU − unit id). */
export function mbapLength(h: Buffer): number | string {
  if (h.readUInt16BE(2) !== 0) return 'MBAP protocol id is not 0';
  const len = h.readUInt16BE(4);
  if (len < 2) return 'MBAP length below 2';
  return 6 + len;
}

/** A stable register value for this device: a seeded hash of the address, biased to small numbers. */
export function registerValue(seed: number, address: number, input: boolean): number {
  let x = (seed ^ Math.imul(address + (input ? 40_001 : 1), 0x9e3779b1)) >>> 0;
  x = Math.imul(x ^ (x >>> 15), 0x85ebca6b) >>> 0;
  x = (x ^ (x >>> 13)) >>> 0;
  // Most PLC registers hold setpoints, counts and scaled measurements, not noise.
  return x % 7 === 0 ? 0 : x % 3 === 0 ? x % 100 : x % 1000;
}

function exception(fn: number, code: number): Buffer {
  return Buffer.from([fn | 0x80, code]);
}

function identification(dev: ModbusDevice, code: number, objectId: number): Buffer {
  const objects: [number, string][] = [
    [0, dev.vendor],
    [1, dev.product],
    [2, dev.revision],
  ];
  if (code >= 2) objects.push([3, dev.vendorUrl], [4, dev.productName], [5, dev.model]);
  let list = objects;
  if (code === 4) list = objects.filter(([id]) => id === objectId);
  else list = objects.filter(([id]) => id >= objectId);
  if (list.length === 0) return exception(0x2b, modbusException.illegalAddress);
  const body = list.map(([id, v]) =>
    Buffer.concat([Buffer.from([id, Buffer.byteLength(v, 'latin1')]), Buffer.from(v, 'latin1')]),
  );
  // Conformity level 0x82: regular identification, stream and individual access.
  return Buffer.concat([Buffer.from([0x2b, 0x0e, code, 0x82, 0x00, 0x00, list.length]), ...body]);
}

/** Answers one PDU (function code first); `events` receives what the analyst should see. */
export function modbusAnswer(
  pdu: Buffer,
  dev: ModbusDevice,
  seed: number,
  st: ModbusState,
  events: (e: ModbusEvent) => void,
): Buffer {
  const fn = pdu.readUInt8(0);
  const u16 = (at: number) => (pdu.length >= at + 2 ? pdu.readUInt16BE(at) : -1);
  switch (fn) {
    case 0x01:
    case 0x02:
    case 0x03:
    case 0x04: {
      const address = u16(1);
      const quantity = u16(3);
      const bits = fn <= 2;
      if (address < 0 || quantity < 1 || quantity > (bits ? modbusLimits.maxCoils : modbusLimits.maxRegisters))
        return exception(fn, modbusException.illegalValue);
      if (address + quantity > modbusLimits.addressSpace) return exception(fn, modbusException.illegalAddress);
      events({ fn, kind: 'read', address, quantity });
      if (bits) {
        const out = Buffer.alloc(Math.ceil(quantity / 8));
        for (let i = 0; i < quantity; i++) {
          const on = st.coils.get(address + i) ?? registerValue(seed, address + i, fn === 2) % 5 === 1;
          if (on) out.writeUInt8(out.readUInt8(i >> 3) | (1 << (i & 7)), i >> 3);
        }
        return Buffer.concat([Buffer.from([fn, out.length]), out]);
      }
      const out = Buffer.alloc(quantity * 2);
      for (let i = 0; i < quantity; i++)
        out.writeUInt16BE(
          (fn === 3 ? st.holding.get(address + i) : undefined) ?? registerValue(seed, address + i, fn === 4),
          i * 2,
        );
      return Buffer.concat([Buffer.from([fn, out.length]), out]);
    }
    case 0x05:
    case 0x06: {
      const address = u16(1);
      const value = u16(3);
      if (address < 0 || value < 0) return exception(fn, modbusException.illegalValue);
      if (fn === 5 && value !== 0xff00 && value !== 0) return exception(fn, modbusException.illegalValue);
      if (address >= modbusLimits.addressSpace) return exception(fn, modbusException.illegalAddress);
      events({ fn, kind: 'write', address, values: [value] });
      if (st.holding.size + st.coils.size < modbusLimits.maxOverlay) {
        if (fn === 5) st.coils.set(address, value === 0xff00);
        else st.holding.set(address, value);
      }
      return Buffer.from(pdu.subarray(0, 5));
    }
    case 0x0f:
    case 0x10: {
      const address = u16(1);
      const quantity = u16(3);
      const count = pdu.length >= 6 ? pdu.readUInt8(5) : -1;
      const max = fn === 0x0f ? 1968 : 123;
      if (address < 0 || quantity < 1 || quantity > max || count !== pdu.length - 6)
        return exception(fn, modbusException.illegalValue);
      if (address + quantity > modbusLimits.addressSpace) return exception(fn, modbusException.illegalAddress);
      const values: number[] = [];
      for (let i = 0; i < quantity && i < 32; i++) {
        values.push(
          fn === 0x10
            ? pdu.length >= 8 + i * 2
              ? pdu.readUInt16BE(6 + i * 2)
              : 0
            : (pdu.readUInt8(6 + (i >> 3)) >> (i & 7)) & 1,
        );
      }
      events({ fn, kind: 'write', address, quantity, values });
      for (let i = 0; i < values.length && st.holding.size + st.coils.size < modbusLimits.maxOverlay; i++) {
        if (fn === 0x10) st.holding.set(address + i, values[i] ?? 0);
        else st.coils.set(address + i, values[i] === 1);
      }
      return Buffer.from(pdu.subarray(0, 5));
    }
    case 0x2b: {
      if (pdu.length < 4 || pdu.readUInt8(1) !== 0x0e) return exception(fn, modbusException.illegalFunction);
      const code = pdu.readUInt8(2);
      if (code < 1 || code > 4) return exception(fn, modbusException.illegalValue);
      events({ fn, kind: 'identify' });
      return identification(dev, code, pdu.readUInt8(3));
    }
    default:
      events({ fn, kind: 'other' });
      return exception(fn, modbusException.illegalFunction);
  }
}

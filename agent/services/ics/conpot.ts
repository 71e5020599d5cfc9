import type net from 'node:net';
import { deckyBytes } from '../kit/decky-seed';
import { createFrameReader } from '../kit/frame-reader';
import { modbusAnswer, mbapLength, modbusLimits, type ModbusDevice, type ModbusState } from './modbus';
import { personaString } from '../kit/persona';
import { tpktLength } from '../codecs/tpkt-codec';
import { cotpConfirm, jobRefused, parseS7, setupResponse, szlResponse, type S7Identity } from './s7';
import { listenTcp, type ConnectionMeta } from '../kit/tcp-listener';
import type { RunningService, ServiceContext, ServiceModule } from '../kit/types';

/**
 * An industrial controller: Modbus/TCP on 502 and S7comm on 102. Reads answer with stable
 * per-decky values, writes and PLC jobs are recorded as commands. Identities (serials, plant)
 * come from the decky rather than constants, since fixed conpot defaults are a known tell.
 */
export const conpotLimits = { idleMs: 60_000, maxRequests: 10_000 } as const;

const fnNames: Record<number, string> = {
  1: 'read_coils',
  2: 'read_discrete_inputs',
  3: 'read_holding_registers',
  4: 'read_input_registers',
  5: 'write_single_coil',
  6: 'write_single_register',
  15: 'write_multiple_coils',
  16: 'write_multiple_registers',
  43: 'read_device_identification',
};

export function modbusDevice(vendor: string, product: string): ModbusDevice {
  const schneider = /schneider/i.test(vendor);
  return {
    vendor,
    product,
    revision: schneider ? 'v3.10' : 'V3.2.6',
    vendorUrl: schneider ? 'http://www.schneider-electric.com' : 'http://www.siemens.com',
    productName: schneider ? 'Modicon M340' : 'SIMATIC S7-300',
    model: schneider ? product : 'CPU 315-2 PN/DP',
  };
}

export function s7Identity(serialBytes: Buffer, plant: string): S7Identity {
  const serial = `S C-${serialBytes
    .toString('hex')
    .toUpperCase()
    .replace(/[^0-9A-Z]/g, '')
    .slice(0, 10)}`;
  return {
    orderNumber: '6ES7 315-2EH14-0AB0',
    hardwareOrderNumber: '6ES7 315-2EH14-0AB0',
    firmware: [3, 2, 6],
    systemName: 'SIMATIC 300(1)',
    moduleName: 'CPU 315-2 PN/DP',
    plant,
    copyright: 'Original Siemens Equipment',
    serial,
    moduleType: 'CPU 315-2 PN/DP',
  };
}

async function start(ctx: ServiceContext): Promise<RunningService> {
  const device = modbusDevice(
    personaString(ctx.persona, 'vendor', 'Schneider Electric'),
    personaString(ctx.persona, 'product', 'BMX P34 2020'),
  );
  const seed = deckyBytes(ctx.decky, 'modbus-seed', 4).readUInt32BE(0);
  const s7id = s7Identity(deckyBytes(ctx.decky, 's7-serial', 5), '');
  // Writes persist for the life of the service, so a read-back shows the attacker's value.
  const state: ModbusState = { holding: new Map(), coils: new Map() };

  const modbusConn = (socket: net.Socket, meta: ConnectionMeta) => {
    const { src, session } = meta;
    let count = 0;
    socket.setTimeout(conpotLimits.idleMs, () => socket.destroy());
    const reader = createFrameReader({
      headerBytes: 6,
      maxFrameBytes: modbusLimits.maxFrameBytes,
      frameLength: mbapLength,
    });
    socket.on('data', (chunk: Buffer) => {
      const { frames, error } = reader.push(chunk);
      for (const f of frames) {
        if (socket.destroyed || ++count > conpotLimits.maxRequests) return socket.destroy();
        if (f.length < 8) {
          ctx.capture({ src, kind: 'malformed', data: { session, protocol: 'modbus', reason: 'empty PDU' } });
          return socket.destroy();
        }
        const unit = f.readUInt8(6);
        const answer = modbusAnswer(f.subarray(7), device, seed, state, (e) => {
          const data = {
            session,
            protocol: 'modbus',
            unit,
            function: fnNames[e.fn] ?? `0x${e.fn.toString(16)}`,
            address: e.address,
            quantity: e.quantity,
            values: e.values,
          };
          ctx.capture({ src, kind: e.kind === 'write' ? 'command' : 'request', data });
        });
        const head = Buffer.alloc(7);
        f.copy(head, 0, 0, 4);
        head.writeUInt16BE(answer.length + 1, 4);
        head.writeUInt8(unit, 6);
        socket.write(Buffer.concat([head, answer]));
      }
      if (error) {
        ctx.capture({ src, kind: 'malformed', data: { session, protocol: 'modbus', reason: error } });
        socket.destroy();
      }
    });
  };

  const s7Conn = (socket: net.Socket, meta: ConnectionMeta) => {
    const { src, session } = meta;
    let count = 0;
    let connected = false;
    socket.setTimeout(conpotLimits.idleMs, () => socket.destroy());
    const reader = createFrameReader({ headerBytes: 4, maxFrameBytes: 1_024, frameLength: tpktLength });
    const bad = (reason: string) => {
      ctx.capture({ src, kind: 'malformed', data: { session, protocol: 's7comm', reason } });
      socket.destroy();
    };
    socket.on('data', (chunk: Buffer) => {
      const { frames, error } = reader.push(chunk);
      for (const f of frames) {
        if (socket.destroyed || ++count > conpotLimits.maxRequests) return socket.destroy();
        let req: ReturnType<typeof parseS7>;
        try {
          req = parseS7(f);
        } catch (err) {
          return bad(err instanceof Error ? err.message : String(err));
        }
        if (req.kind === 'cotp-cr') {
          connected = true;
          ctx.capture({
            src,
            kind: 'request',
            data: { session, protocol: 's7comm', pdu: 'COTP_CR', params: req.params.toString('hex').slice(0, 64) },
          });
          socket.write(cotpConfirm(req.srcRef, req.params, 0x0001));
          continue;
        }
        if (!connected) return bad('S7 PDU before COTP connection');
        switch (req.kind) {
          case 'setup':
            ctx.capture({ src, kind: 'request', data: { session, protocol: 's7comm', pdu: 'SETUP_COMMUNICATION' } });
            socket.write(setupResponse(req.pduRef));
            break;
          case 'szl':
            ctx.capture({
              src,
              kind: 'request',
              data: {
                session,
                protocol: 's7comm',
                pdu: 'READ_SZL',
                szlId: `0x${req.szlId.toString(16).padStart(4, '0')}`,
                index: req.index,
              },
            });
            socket.write(szlResponse(s7id, req));
            break;
          case 'job':
            // Read/write var, download, PLC stop: an attacker touching the process. Recorded, refused.
            ctx.capture({
              src,
              kind: 'command',
              data: { session, protocol: 's7comm', pdu: 'JOB', function: `0x${req.fn.toString(16)}` },
            });
            socket.write(jobRefused(req.pduRef, req.fn));
            break;
          default:
            ctx.capture({ src, kind: 'request', data: { session, protocol: 's7comm', pdu: `ROSCTR_${req.rosctr}` } });
        }
      }
      if (error) bad(error);
    });
  };

  const modbus = await listenTcp({
    host: ctx.host,
    port: ctx.port(502),
    capture: ctx.capture,
    log: ctx.log,
    onConnection: modbusConn,
  });
  try {
    const s7 = await listenTcp({
      host: ctx.host,
      port: ctx.port(102),
      capture: ctx.capture,
      log: ctx.log,
      onConnection: s7Conn,
    });
    return {
      bound: [modbus.bound, s7.bound],
      close: async () => void (await Promise.all([modbus.close(), s7.close()])),
    };
  } catch (err) {
    await modbus.close();
    throw err;
  }
}

export const conpotService: ServiceModule = { name: 'conpot', start };

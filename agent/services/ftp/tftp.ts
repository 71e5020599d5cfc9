import { createHash } from 'node:crypto';
import type dgram from 'node:dgram';
import { ackPacket, errorPacket, parseRequest, tftpError, TftpError, tftpOp, type TftpRequest } from './tftp-codec';
import { listenUdp, openEphemeralUdp, type DatagramMeta } from '../kit/udp-listener';
import type { RunningService, ServiceContext, ServiceModule } from '../kit/types';

/**
 * TFTP answering like tftpd-hpa with an empty root: reads fail with "File not found", writes are
 * accepted up to a small bound so that the uploaded payload's size and SHA-256 can be recorded;
 * nothing is ever written to disk. Each transfer runs on its own ephemeral port as RFC 1350 wants.
 */
export const tftpLimits = {
  maxUploadBytes: 1_048_576,
  transferIdleMs: 5_000,
  maxTransfers: 32,
  maxTransfersPerSource: 4,
  blockSize: 512,
} as const;

async function start(ctx: ServiceContext): Promise<RunningService> {
  const transfers = new Set<dgram.Socket>();
  const perSource = new Map<string, number>();

  const begin = async (req: TftpRequest, meta: DatagramMeta) => {
    const { src, session } = meta;
    const held = perSource.get(src) ?? 0;
    if (transfers.size >= tftpLimits.maxTransfers || held >= tftpLimits.maxTransfersPerSource) {
      ctx.capture({
        src,
        kind: 'refused',
        data: { session, port: meta.localPort, proto: 'udp', reason: 'transfer limit', filename: req.filename },
      });
      return;
    }
    const sock = await openEphemeralUdp(ctx.host, ctx.log);
    transfers.add(sock);
    perSource.set(src, held + 1);
    let closed = false;
    const finish = () => {
      if (closed) return;
      closed = true;
      transfers.delete(sock);
      const left = (perSource.get(src) ?? 1) - 1;
      if (left <= 0) perSource.delete(src);
      else perSource.set(src, left);
      sock.close();
    };
    const send = (b: Buffer, port = meta.srcPort) => sock.send(b, port, src);
    if (req.op === 'RRQ') {
      // tftpd-hpa's child also exits right after its ERROR; a retransmitted RRQ is a new request.
      sock.send(errorPacket(tftpError.fileNotFound, 'File not found'), meta.srcPort, src, () => finish());
      return;
    }
    const hash = createHash('sha256');
    let size = 0;
    let expected = 1;
    let idle: NodeJS.Timeout;
    const record = (complete: boolean, reason?: string) =>
      ctx.capture({
        src,
        kind: 'command',
        data: {
          session,
          op: 'WRQ',
          filename: req.filename,
          mode: req.mode,
          size,
          sha256: hash.copy().digest('hex'),
          complete,
          ...(reason ? { reason } : {}),
        },
      });
    const arm = () => {
      clearTimeout(idle);
      idle = setTimeout(() => {
        record(false, 'timeout');
        finish();
      }, tftpLimits.transferIdleMs);
      idle.unref();
    };
    sock.on('message', (msg, rinfo) => {
      if (closed) return;
      if (rinfo.address !== src || rinfo.port !== meta.srcPort) {
        sock.send(errorPacket(tftpError.unknownTid, 'Unknown transfer ID'), rinfo.port, rinfo.address);
        return;
      }
      if (msg.length < 4 || msg.readUInt16BE(0) !== tftpOp.data) {
        if (msg.length >= 2 && msg.readUInt16BE(0) === tftpOp.error) {
          record(false, 'client error');
          clearTimeout(idle);
          return finish();
        }
        return;
      }
      const block = msg.readUInt16BE(2);
      if (block !== (expected & 0xffff)) {
        send(ackPacket(block));
        return;
      }
      const data = msg.subarray(4, 4 + tftpLimits.blockSize);
      size += data.length;
      if (size > tftpLimits.maxUploadBytes) {
        send(errorPacket(tftpError.diskFull, 'Disk full or allocation exceeded'));
        record(false, 'upload limit');
        clearTimeout(idle);
        return finish();
      }
      hash.update(data);
      send(ackPacket(block));
      expected += 1;
      if (data.length < tftpLimits.blockSize) {
        record(true);
        clearTimeout(idle);
        setTimeout(finish, 200).unref();
        return;
      }
      arm();
    });
    send(ackPacket(0));
    arm();
  };

  const onDatagram = (msg: Buffer, meta: DatagramMeta, reply: (b: Uint8Array) => void) => {
    const { src, session } = meta;
    const opcode = msg.length >= 2 ? msg.readUInt16BE(0) : -1;
    if (opcode !== tftpOp.rrq && opcode !== tftpOp.wrq) {
      // tftpd-hpa ignores anything but RRQ/WRQ on its port; an answer here would only help fingerprinting.
      ctx.capture({
        src,
        kind: 'malformed',
        data: { session, reason: `opcode ${opcode} sent to the server port`, bytes: msg.length },
      });
      return;
    }
    let req: TftpRequest;
    try {
      req = parseRequest(msg);
    } catch (err) {
      ctx.capture({
        src,
        kind: 'malformed',
        data: { session, reason: err instanceof Error ? err.message : String(err) },
      });
      if (err instanceof TftpError && err.reply) reply(errorPacket(err.reply.code, err.reply.text));
      return;
    }
    ctx.capture({
      src,
      kind: 'request',
      data: { session, op: req.op, filename: req.filename, mode: req.mode, options: req.options },
    });
    begin(req, meta).catch((err: unknown) => ctx.log.error('tftp transfer failed', { src, err }));
  };

  const listener = await listenUdp({
    host: ctx.host,
    port: ctx.port(69),
    capture: ctx.capture,
    log: ctx.log,
    onDatagram,
  });
  return {
    bound: [listener.bound],
    close: async () => {
      for (const s of transfers) s.close();
      transfers.clear();
      await listener.close();
    },
  };
}

export const tftpService: ServiceModule = { name: 'tftp', start };

/**
 * Entry of the namespace binder (see network/binder-protocol.ts): creates listening sockets in
 * the namespace it was started in and hands them to its parent, then exits when told to or when
 * the parent goes away. Bounded: it exits on its own after BINDER_LIFETIME_MS.
 */
import dgram from 'node:dgram';
import net from 'node:net';
import { BinderRequest, type BinderReply } from './network/binder-protocol';
import { describeListenError } from './services/kit/tcp-listener';

const BINDER_LIFETIME_MS = 60_000;

function reply(msg: BinderReply, handle?: net.Server | dgram.Socket, done?: () => void): void {
  if (!process.send || !process.connected) return done?.();
  process.send(msg, handle, {}, () => done?.());
}

function bind(req: Extract<BinderRequest, { type: 'bind' }>): void {
  const fail = (err: NodeJS.ErrnoException) => {
    const message = describeListenError(err, req.host, req.port);
    reply({
      type: 'error',
      id: req.id,
      message: req.proto === 'udp' ? message.replace(/port (\d+)/, 'port $1/udp') : message,
    });
  };
  if (req.proto === 'tcp') {
    const server = net.createServer();
    server.once('error', fail);
    server.listen({ host: req.host, port: req.port, exclusive: true }, () => {
      const a = server.address();
      // Closing our copy after the send leaves the parent's duplicate listening.
      reply({ type: 'bound', id: req.id, port: typeof a === 'object' && a ? a.port : req.port }, server, () =>
        server.close(),
      );
    });
    return;
  }
  const socket = dgram.createSocket({ type: 'udp4', reuseAddr: false });
  socket.once('error', fail);
  socket.bind({ address: req.host, port: req.port, exclusive: true }, () => {
    reply({ type: 'bound', id: req.id, port: socket.address().port }, socket, () => socket.close());
  });
}

if (typeof process.send !== 'function') {
  process.stderr.write('netns-binder must be started with an IPC channel\n');
  process.exit(2);
}
process.on('message', (raw) => {
  const parsed = BinderRequest.safeParse(raw);
  if (!parsed.success) return;
  if (parsed.data.type === 'exit') return process.exit(0);
  bind(parsed.data);
});
process.on('disconnect', () => process.exit(0));
setTimeout(() => process.exit(0), BINDER_LIFETIME_MS).unref();

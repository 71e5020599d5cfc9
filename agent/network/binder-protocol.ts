import { z } from 'zod';

/**
 * IPC between a decky host process and the binder it starts inside a decky's namespace
 * (`ip netns exec <ns> node netns-binder.js`, stdio [..., 'ipc']):
 *
 *   host   → binder {type:'bind', id, proto:'tcp'|'udp', host, port}
 *   binder → host   {type:'bound', id, port} + the listening net.Server / bound dgram.Socket as handle
 *   binder → host   {type:'error', id, message}                 one line, e.g. "port 22 on … is in use"
 *   host   → binder {type:'exit'}                               (or the channel closes): binder exits
 *
 * The binder lives only while its decky starts: a Node process costs ~40 MiB, a passed socket nothing.
 */
export const BindRequest = z.strictObject({
  type: z.literal('bind'),
  id: z.number().int().nonnegative(),
  proto: z.enum(['tcp', 'udp']),
  host: z.ipv4(),
  port: z.number().int().min(0).max(65535),
});
export const BinderExit = z.strictObject({ type: z.literal('exit') });
export const BinderRequest = z.discriminatedUnion('type', [BindRequest, BinderExit]);
export type BinderRequest = z.output<typeof BinderRequest>;

export const BinderReply = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('bound'), id: z.number().int(), port: z.number().int() }),
  z.strictObject({ type: z.literal('error'), id: z.number().int(), message: z.string().max(500) }),
]);
export type BinderReply = z.output<typeof BinderReply>;

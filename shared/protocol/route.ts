import type { z } from 'zod';

export const httpMethods = ['GET', 'POST'] as const;
export type HttpMethod = (typeof httpMethods)[number];

/** One HTTP route of a protocol table, shared by the server that serves it and the client that calls it. */
export type Route<I extends z.ZodType = z.ZodType, O extends z.ZodType = z.ZodType> = Readonly<{
  method: HttpMethod;
  path: string;
  input: I;
  output: O;
  /** Status of a success answer (202 for work that continues in the background). */
  status: number;
  /** Client timeout in milliseconds. */
  timeoutMs: number;
}>;

export const CONTROL_TIMEOUT_MS = 15_000;

export function route<I extends z.ZodType, O extends z.ZodType>(def: {
  method: HttpMethod;
  path: string;
  input: I;
  output: O;
  status?: number;
  timeoutMs?: number;
}): Route<I, O> {
  return { status: 200, timeoutMs: CONTROL_TIMEOUT_MS, ...def };
}

export type RouteTable = Readonly<Record<string, Route>>;
export type RouteInput<R extends Route> = z.output<R['input']>;
export type RouteOutput<R extends Route> = z.output<R['output']>;

/** Server-side handlers for a table; the peer identity comes from the TLS certificate. */
export type RouteHandlers<T extends RouteTable, Ctx> = {
  [K in keyof T]: (input: RouteInput<T[K]>, ctx: Ctx) => Promise<RouteReply<RouteOutput<T[K]>>>;
};

/** A handler answers its value, optionally with a status other than the route's default. */
export type RouteReply<O> = O | { readonly status: number; readonly body: O };

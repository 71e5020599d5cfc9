/**
 * Telnet (RFC 854/855) stream parser: separates user data from IAC commands, option negotiation
 * and subnegotiation. It is a byte-at-a-time state machine so that sequences split across TCP
 * segments are handled, and subnegotiation payloads are bounded.
 */
export const telnetCodes = {
  IAC: 255,
  DONT: 254,
  DO: 253,
  WONT: 252,
  WILL: 251,
  SB: 250,
  GA: 249,
  EL: 248,
  EC: 247,
  AYT: 246,
  AO: 245,
  IP: 244,
  BRK: 243,
  DM: 242,
  NOP: 241,
  SE: 240,
} as const;

export const telnetOptions = {
  ECHO: 1,
  SGA: 3,
  STATUS: 5,
  TTYPE: 24,
  NAWS: 31,
  TSPEED: 32,
  LFLOW: 33,
  LINEMODE: 34,
  XDISPLOC: 35,
  NEW_ENVIRON: 39,
} as const;

export type NegotiationVerb = 'WILL' | 'WONT' | 'DO' | 'DONT';

export type TelnetEvent =
  | Readonly<{ type: 'negotiate'; verb: NegotiationVerb; option: number }>
  | Readonly<{ type: 'subnegotiation'; option: number; data: Buffer }>
  /** Any other two-byte command (IP, AYT, NOP, …) */
  | Readonly<{ type: 'command'; code: number }>;

export type IacPush = Readonly<{ data: Buffer; events: TelnetEvent[]; malformed: string | null }>;

export type IacParser = Readonly<{ push: (chunk: Uint8Array) => IacPush }>;

const verbs: Readonly<Record<number, NegotiationVerb>> = { 251: 'WILL', 252: 'WONT', 253: 'DO', 254: 'DONT' };

const state = { data: 0, iac: 1, option: 2, sbOption: 3, sb: 4, sbIac: 5 } as const;
type State = (typeof state)[keyof typeof state];

export function createIacParser(opts: Readonly<{ maxSubnegotiation: number }> = { maxSubnegotiation: 512 }): IacParser {
  let st: State = state.data;
  let verb: NegotiationVerb = 'WILL';
  let sbOption = 0;
  let sbData: number[] = [];
  let broken: string | null = null;

  const push = (chunk: Uint8Array): IacPush => {
    const out: number[] = [];
    const events: TelnetEvent[] = [];
    if (broken) return { data: Buffer.alloc(0), events, malformed: broken };
    for (const b of chunk) {
      switch (st) {
        case state.data:
          if (b === telnetCodes.IAC) st = state.iac;
          else out.push(b);
          break;
        case state.iac: {
          const v = verbs[b];
          if (b === telnetCodes.IAC) {
            out.push(b); // IAC IAC is a literal 0xFF data byte
            st = state.data;
          } else if (v) {
            verb = v;
            st = state.option;
          } else if (b === telnetCodes.SB) {
            st = state.sbOption;
          } else {
            events.push({ type: 'command', code: b });
            st = state.data;
          }
          break;
        }
        case state.option:
          events.push({ type: 'negotiate', verb, option: b });
          st = state.data;
          break;
        case state.sbOption:
          sbOption = b;
          sbData = [];
          st = state.sb;
          break;
        case state.sb:
          if (b === telnetCodes.IAC) st = state.sbIac;
          else sbData.push(b);
          break;
        case state.sbIac:
          if (b === telnetCodes.SE) {
            events.push({ type: 'subnegotiation', option: sbOption, data: Buffer.from(sbData) });
            sbData = [];
            st = state.data;
          } else {
            // IAC IAC inside SB is an escaped 0xFF; anything else is tolerated as data, the way
            // permissive servers do, rather than desynchronising the stream.
            sbData.push(b);
            st = state.sb;
          }
          break;
      }
      if (sbData.length > opts.maxSubnegotiation) {
        broken = `subnegotiation longer than ${opts.maxSubnegotiation} bytes`;
        return { data: Buffer.from(out), events, malformed: broken };
      }
    }
    return { data: Buffer.from(out), events, malformed: null };
  };
  return { push };
}

/** Encodes data for the wire, doubling 0xFF bytes. */
export function escapeIac(data: Uint8Array): Buffer {
  const out: number[] = [];
  for (const b of data) {
    out.push(b);
    if (b === telnetCodes.IAC) out.push(b);
  }
  return Buffer.from(out);
}

export function negotiation(verb: NegotiationVerb, option: number): Buffer {
  return Buffer.from([telnetCodes.IAC, telnetCodes[verb], option]);
}

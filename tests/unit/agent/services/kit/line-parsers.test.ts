import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { answerCommandLine } from '../../../../../agent/services/shell/fake-shell';
import { ftpAnswer, type FtpSessionState } from '../../../../../agent/services/ftp/ftp';
import { createLineReader } from '../../../../../agent/services/kit/line-reader';
import { createIacParser, escapeIac, telnetCodes } from '../../../../../agent/services/shell/telnet-codec';

/** Splits `data` at the given cut points (arbitrary TCP segmentation). */
function segment(data: Buffer, cuts: number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => c % (data.length + 1)))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let prev = 0;
  for (const p of points) {
    out.push(data.subarray(prev, p));
    prev = p;
  }
  out.push(data.subarray(prev));
  return out;
}

const lineText = fc.string({ unit: fc.constantFrom(...'abcXYZ 019-_/:;é€'.split('')), maxLength: 40 });

describe('line reader', () => {
  it('recovers CRLF-separated lines whatever the segmentation', () => {
    fc.assert(
      fc.property(fc.array(lineText, { maxLength: 20 }), fc.array(fc.nat(), { maxLength: 10 }), (lines, cuts) => {
        const reader = createLineReader({ maxLineBytes: 512 });
        const wire = Buffer.from(lines.map((l) => l + '\r\n').join(''), 'utf8');
        const got = segment(wire, cuts).flatMap((chunk) => {
          const r = reader.push(chunk);
          expect(r.overflow).toBe(false);
          return r.lines;
        });
        expect(got).toEqual(lines);
        expect(reader.pendingBytes()).toBe(0);
      }),
    );
  });

  it('treats CR NUL, CR LF and bare CR as one end of line in telnet mode', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(lineText, fc.constantFrom('\r\0', '\r\n', '\r', '\n')), { maxLength: 15 }),
        fc.array(fc.nat(), { maxLength: 8 }),
        (pairs, cuts) => {
          const reader = createLineReader({ maxLineBytes: 512, crEndsLine: true });
          // A bare CR right before an LF (an empty line ended by LF) is just CR LF: ambiguous, skipped.
          fc.pre(!pairs.some(([, eol], i) => eol === '\r' && pairs[i + 1]?.[0] === '' && pairs[i + 1]?.[1] === '\n'));
          const wire = Buffer.from(pairs.map(([l, eol]) => l + eol).join(''), 'utf8');
          const got = segment(wire, cuts).flatMap((chunk) => reader.push(chunk).lines);
          expect(got).toEqual(pairs.map(([l]) => l));
        },
      ),
    );
  });

  it('never holds more than the bound, and reports overflow for longer lines', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 3000 }),
        fc.integer({ min: 1, max: 600 }),
        fc.array(fc.nat(), { maxLength: 10 }),
        (bytes, max, cuts) => {
          const reader = createLineReader({ maxLineBytes: max, crEndsLine: bytes.length % 2 === 0 });
          let overflow = false;
          for (const chunk of segment(Buffer.from(bytes), cuts)) {
            const r = reader.push(chunk);
            for (const l of r.lines) expect(Buffer.byteLength(l.replace(/\ufffd/g, '?'))).toBeLessThanOrEqual(max * 3);
            overflow ||= r.overflow;
            expect(reader.pendingBytes()).toBeLessThanOrEqual(max + 1);
          }
          const longest = Math.max(
            0,
            ...Buffer.from(bytes)
              .toString('latin1')
              .split(/[\r\n]/)
              .map((s) => s.length),
          );
          if (longest > max + 1) expect(overflow).toBe(true);
        },
      ),
    );
  });
});

const negotiationBytes = fc.oneof(
  fc
    .tuple(fc.constantFrom(telnetCodes.WILL, telnetCodes.WONT, telnetCodes.DO, telnetCodes.DONT), fc.nat({ max: 255 }))
    .map(([v, o]) => Buffer.from([telnetCodes.IAC, v, o])),
  fc
    .tuple(fc.nat({ max: 255 }), fc.uint8Array({ maxLength: 30 }))
    .map(([o, d]) =>
      Buffer.concat([
        Buffer.from([telnetCodes.IAC, telnetCodes.SB, o]),
        escapeIac(d),
        Buffer.from([telnetCodes.IAC, telnetCodes.SE]),
      ]),
    ),
  fc
    .constantFrom(telnetCodes.NOP, telnetCodes.AYT, telnetCodes.IP, telnetCodes.GA)
    .map((c) => Buffer.from([telnetCodes.IAC, c])),
);

describe('telnet IAC parser', () => {
  it('returns exactly the user data, with commands interleaved and split anywhere', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.uint8Array({ maxLength: 20 }), negotiationBytes), { maxLength: 12 }),
        fc.array(fc.nat(), { maxLength: 12 }),
        (parts, cuts) => {
          const parser = createIacParser({ maxSubnegotiation: 512 });
          const wire = Buffer.concat(parts.flatMap(([d, cmd]) => [escapeIac(d), cmd]));
          const out: Buffer[] = [];
          let events = 0;
          for (const chunk of segment(wire, cuts)) {
            const r = parser.push(chunk);
            expect(r.malformed).toBeNull();
            out.push(r.data);
            events += r.events.length;
          }
          expect(Buffer.concat(out)).toEqual(Buffer.concat(parts.map(([d]) => Buffer.from(d))));
          expect(events).toBe(parts.length);
        },
      ),
    );
  });

  it('never throws, never outputs more than it got, and bounds subnegotiation', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 4000 }), fc.array(fc.nat(), { maxLength: 10 }), (bytes, cuts) => {
        const parser = createIacParser({ maxSubnegotiation: 64 });
        let total = 0;
        for (const chunk of segment(Buffer.from(bytes), cuts)) {
          const r = parser.push(chunk);
          total += r.data.length;
          for (const e of r.events) if (e.type === 'subnegotiation') expect(e.data.length).toBeLessThanOrEqual(64);
        }
        expect(total).toBeLessThanOrEqual(bytes.length);
      }),
    );
  });
});

describe('protocol state machines on arbitrary input', () => {
  it('ftp answers every line with a status or nothing, and never accepts a local login', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            fc.string({ maxLength: 60 }),
            fc.constantFrom('USER root', 'PASS toor', 'SYST', 'FEAT', 'PWD', 'QUIT', 'USER anonymous'),
          ),
          { maxLength: 30 },
        ),
        (lines) => {
          const st: FtpSessionState = { user: null, loggedIn: false, loginFails: 0 };
          for (const line of lines) {
            const a = ftpAnswer(line, st, { anonymous: false, onAuth: () => undefined });
            if (a.reply !== null) expect(a.reply).toMatch(/^\d{3}[ -]/);
            expect(st.loggedIn).toBe(false);
            if (a.close) break;
          }
        },
      ),
    );
  });

  it('the fake shell answers any line without throwing', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (line) => {
        const r = answerCommandLine(line, { user: 'root', hostname: 'h', kernel: '6.1.0' });
        expect(typeof r.output).toBe('string');
      }),
    );
  });
});

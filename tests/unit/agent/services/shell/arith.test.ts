import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ArithError, evalArith } from '../../../../../agent/services/shell/emul/arith';

describe('$(( )) evaluator', () => {
  it('any input either evaluates to a 64-bit value or fails with an ArithError, never anything else', () => {
    const alphabet = fc.constantFrom(...'0123456789+-*/%()<>=!&|^~?: abx$'.split(''));
    fc.assert(
      fc.property(fc.array(alphabet, { maxLength: 600 }), (chars) => {
        try {
          const v = evalArith(chars.join(''), () => '7');
          expect(v).toBe(BigInt.asIntN(64, v));
        } catch (err) {
          expect(err).toBeInstanceOf(ArithError);
        }
      }),
      { numRuns: 5000 },
    );
  });

  it('deep nesting is bounded by the token cap, not the stack', () => {
    expect(() => evalArith('('.repeat(2000) + '1' + ')'.repeat(2000), () => '')).toThrow(ArithError);
    expect(evalArith('('.repeat(100) + '1' + ')'.repeat(100), () => '')).toBe(1n);
  });
});

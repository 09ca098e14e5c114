import { expect } from 'chai';
import { Dec } from '../../src/domain/decimal.ts';
import { DomainError, isDomainError } from '../../src/domain/errors.ts';
import { accountStream, assertId, isValidClientOrderId, isValidId } from '../../src/domain/ids.ts';
import {
  equity,
  instrumentKey,
  instrumentProblem,
  isValidEquitySymbol,
  multiplierOf,
  normalizeSymbol,
  parseOccSymbol,
} from '../../src/domain/instrument.ts';
import {
  add,
  canonical,
  cmp,
  isZero,
  mul,
  neg,
  parseCashAmount,
  parseDecimal,
  parseNonNegativeCash,
  sub,
} from '../../src/domain/money.ts';
import {
  isValidTick,
  parsePrice,
  parseQuantity,
  roundToTick,
  tickSize,
} from '../../src/domain/price.ts';
import { REJECTION_REASONS, rejectionMessage } from '../../src/domain/rejections.ts';

const code = (fn: () => unknown): string | undefined => {
  try {
    fn();
  } catch (error) {
    return isDomainError(error) ? `${error.code}:${error.field ?? ''}` : 'other';
  }
  return undefined;
};

describe('value types', () => {
  describe('decimals', () => {
    const canon: [string | number, string][] = [
      ['1.50', '1.5'],
      ['-0', '0'],
      ['0.000', '0'],
      [' 12 ', '12'],
      ['.5', '0.5'],
      [0.1, '0.1'],
      [1e21, '1000000000000000000000'],
      [1e-7, '0.0000001'],
      ['00012.3400', '12.34'],
    ];
    for (const [input, expected] of canon) {
      it(`spells ${JSON.stringify(input)} canonically as ${expected}`, () => {
        expect(canonical(input)).to.equal(expected);
      });
    }

    it('rejects non-decimals with the field named', () => {
      expect(code(() => parseDecimal('1e5', 'qty'))).to.equal('invalid_value:qty');
      expect(code(() => parseDecimal('abc', 'price'))).to.equal('invalid_value:price');
      expect(code(() => parseDecimal(Number.NaN, 'x'))).to.equal('invalid_value:x');
      expect(code(() => parseDecimal('', 'x'))).to.equal('invalid_value:x');
    });

    it('does exact arithmetic where floats do not', () => {
      expect(add('0.1', '0.2')).to.equal('0.3');
      expect(sub('0.3', '0.1')).to.equal('0.2');
      expect(mul('1.1', '1.1')).to.equal('1.21');
      expect(neg('5')).to.equal('-5');
      expect(neg('0')).to.equal('0');
      expect(cmp('1.10', '1.1')).to.equal(0);
      expect(cmp('2', '10')).to.equal(-1);
      expect(cmp('10', '2')).to.equal(1);
      expect(isZero('0.000')).to.equal(true);
    });

    it('parses cash amounts as positive whole cents', () => {
      expect(parseCashAmount('10.10')).to.equal('10.1');
      expect(code(() => parseCashAmount('0'))).to.equal('invalid_amount:amount');
      expect(code(() => parseCashAmount('1.005'))).to.equal('invalid_amount:amount');
      expect(parseNonNegativeCash('0')).to.equal('0');
      expect(code(() => parseNonNegativeCash('-1', 'initialCash'))).to.equal(
        'invalid_amount:initialCash',
      );
    });
  });

  describe('prices and quantities', () => {
    const ticks: [string, boolean][] = [
      ['1', true],
      ['1.01', true],
      ['1.015', false],
      ['0.9999', true],
      ['0.99995', false],
      ['150.25', true],
      ['150.255', false],
    ];
    for (const [price, ok] of ticks) {
      it(`${price} is ${ok ? 'a valid' : 'an invalid'} tick`, () => {
        expect(isValidTick(new Dec(price))).to.equal(ok);
      });
    }

    it('uses a penny tick from $1 and 0.0001 below', () => {
      expect(tickSize(new Dec('1')).toString()).to.equal('0.01');
      expect(tickSize(new Dec('0.99')).toString()).to.equal('0.0001');
    });

    it('rounds onto the grid in the asked direction, re-gridding across $1', () => {
      expect(roundToTick(new Dec('10.001'), 'up').toString()).to.equal('10.01');
      expect(roundToTick(new Dec('10.009'), 'down').toString()).to.equal('10');
      expect(roundToTick(new Dec('10.005'), 'nearest').toString()).to.equal('10');
      expect(roundToTick(new Dec('0.99999'), 'up').toString()).to.equal('1');
      expect(roundToTick(new Dec('0.12345'), 'down').toString()).to.equal('0.1234');
    });

    it('parses positive prices and quantities with at most nine decimals', () => {
      expect(parsePrice('12.50')).to.equal('12.5');
      expect(code(() => parsePrice('0'))).to.equal('invalid_value:price');
      expect(parseQuantity('0.123456789')).to.equal('0.123456789');
      expect(code(() => parseQuantity('0.1234567891'))).to.equal('invalid_value:qty');
      expect(code(() => parseQuantity('-1'))).to.equal('invalid_value:qty');
    });
  });

  describe('symbols and instruments', () => {
    for (const s of ['AAPL', 'BRK.B', 'F', 'GOOGL', 'BF.B']) {
      it(`accepts the ticker ${s}`, () => expect(isValidEquitySymbol(s)).to.equal(true));
    }
    for (const s of ['aapl', 'TOOLONG', 'BRK.', 'BRK.BBB', '', 'A1']) {
      it(`refuses the ticker "${s}"`, () => expect(isValidEquitySymbol(s)).to.equal(false));
    }

    it('normalises user input before validation', () => {
      expect(normalizeSymbol(' brk.b ')).to.equal('BRK.B');
    });

    it('parses OCC option symbols, padded and compact', () => {
      expect(parseOccSymbol('AAPL  250117C00150000')).to.deep.equal({
        root: 'AAPL',
        expiration: '2025-01-17',
        right: 'call',
        strike: '150',
      });
      expect(parseOccSymbol('SPY240621P00512500')?.strike).to.equal('512.5');
      expect(parseOccSymbol('SPY241321P00512500')).to.equal(undefined);
      expect(parseOccSymbol('AAPL')).to.equal(undefined);
    });

    it('keys and multiplies equities and options alike', () => {
      const option = {
        kind: 'option',
        occSymbol: 'AAPL  250117C00150000',
        underlying: 'AAPL',
        multiplier: 100,
      } as const;
      expect(instrumentKey(equity('MSFT'))).to.equal('MSFT');
      expect(instrumentKey(option)).to.equal('AAPL  250117C00150000');
      expect(multiplierOf(equity('MSFT'))).to.equal(1);
      expect(multiplierOf(option)).to.equal(100);
      expect(instrumentProblem(option)).to.equal(undefined);
      expect(instrumentProblem({ ...option, underlying: 'MSFT' })).to.match(/does not match/);
      expect(instrumentProblem({ ...option, multiplier: 0 })).to.match(/multiplier/);
      expect(instrumentProblem({ ...option, occSymbol: 'nope' })).to.match(/OCC/);
      expect(instrumentProblem(equity('bad'))).to.match(/not a valid US equity/);
    });
  });

  describe('ids and reasons', () => {
    it('validates ids and client order ids', () => {
      expect(isValidId('3f0c2a1e-0000-4000-8000-000000000000')).to.equal(true);
      expect(isValidId('')).to.equal(false);
      expect(isValidId('has space')).to.equal(false);
      expect(isValidClientOrderId('my order')).to.equal(false);
      expect(isValidClientOrderId('x'.repeat(128))).to.equal(true);
      expect(code(() => assertId('', 'orderId'))).to.equal('invalid_command:orderId');
      expect(accountStream('abc')).to.equal('account-abc');
    });

    it('has a human message for every rejection reason', () => {
      expect(REJECTION_REASONS).to.include.members([
        'insufficient_buying_power',
        'invalid_tick_size',
        'fok_not_fillable',
      ]);
      for (const reason of REJECTION_REASONS) expect(rejectionMessage(reason)).to.match(/\.$/);
    });

    it('domain errors are Errors with a code', () => {
      const e = new DomainError('order_not_found', 'x', 'orderId');
      expect(e).to.be.instanceOf(Error);
      expect(e.name).to.equal('DomainError');
      expect(isDomainError(new Error('x'))).to.equal(false);
    });
  });
});

import { expect } from 'chai';
import * as z from 'zod';
import { parseArguments, ToolInputError } from '../../src/mcp/args.ts';
import {
  contractFrom,
  contractShape,
  contractsArg,
  dollarsArg,
  legsArg,
} from '../../src/mcp/option-args.ts';

const schema = z.strictObject({
  ...contractShape,
  quantity: contractsArg.optional(),
  legs: legsArg.optional(),
  limit_price: dollarsArg('limit_price', 'a price').optional(),
});

function refusal(raw: Record<string, unknown>): ToolInputError {
  try {
    parseArguments(schema, raw);
  } catch (error) {
    if (error instanceof ToolInputError) return error;
    throw error;
  }
  throw new Error(`accepted ${JSON.stringify(raw)}`);
}

describe('MCP option arguments', () => {
  it('accept OCC symbols in any spacing and case, contracts as numbers or strings, $ prices', () => {
    const args = parseArguments(schema, {
      symbol: ' aapl250117c00150000 ',
      quantity: '2 contracts',
      limit_price: '$1.25',
    });
    expect(args).to.include({
      symbol: 'AAPL  250117C00150000',
      quantity: '2',
      limit_price: '1.25',
    });
    expect(contractFrom(args).strike).to.equal('150');
    const parts = parseArguments(schema, {
      underlying: 'aapl',
      expiration: '2025-01-17',
      option_type: 'PUT',
      strike: 150,
    });
    expect(contractFrom(parts).symbol).to.equal('AAPL  250117P00150000');
  });

  it('accept legs as objects or JSON text (also per leg), with ratio and intent', () => {
    const legs = [
      { symbol: 'AAPL250117C00150000', side: 'SELL', position_intent: 'sell_to_open' },
      JSON.stringify({ symbol: 'AAPL  250117C00155000', action: 'buy', ratio_qty: '1' }),
    ];
    const fromObjects = parseArguments(schema, { legs });
    const fromText = parseArguments(schema, { legs: JSON.stringify(legs) });
    expect(fromObjects.legs).to.deep.equal(fromText.legs);
    expect(fromObjects.legs).to.deep.equal([
      {
        symbol: 'AAPL  250117C00150000',
        side: 'sell',
        ratioQty: '1',
        positionIntent: 'sell_to_open',
      },
      { symbol: 'AAPL  250117C00155000', side: 'buy', ratioQty: '1' },
    ]);
  });

  it('refuse what is ambiguous or wrong, naming the argument', () => {
    expect(refusal({ symbol: 'AAPL' }).field).to.equal('symbol');
    expect(refusal({ quantity: 1.5 }).message).to.match(/whole number of contracts/);
    expect(refusal({ quantity: 'two' }).message).to.match(/quantity must be a number/);
    expect(refusal({ limit_price: '1,25' }).message).to.match(/without thousands separators/);
    expect(refusal({ limit_price: 0 }).message).to.match(/greater than zero/);
    expect(refusal({ legs: '[not json' }).message).to.match(/not valid JSON/);
    expect(refusal({ legs: [{ symbol: 'AAPL250117C00150000', side: 'buy' }] }).message).to.match(
      /2 to 4 legs/,
    );
    expect(
      refusal({
        legs: [
          { symbol: 'x', side: 'buy' },
          { symbol: 'y', side: 'sell' },
        ],
      }).message,
    ).to.match(/legs\[0\] must be/);
    expect(
      refusal({
        legs: [
          { symbol: 'AAPL250117C00150000', side: 'buy', position_intent: 'open' },
          { symbol: 'AAPL250117C00155000', side: 'sell' },
        ],
      }).message,
    ).to.match(/position_intent must be one of/);
    expect(refusal({ underlying: '123' }).field).to.equal('underlying');
    expect(refusal({ expiration: '2025-02-30' }).field).to.equal('expiration');
    expect(() => contractFrom({ underlying: 'AAPL', expiration: '2025-01-17' })).to.throw(
      ToolInputError,
      /option_type/,
    );
    expect(() => contractFrom({})).to.throw(ToolInputError, /Missing required argument "symbol"/);
    expect(() =>
      contractFrom({
        underlying: 'AAPL',
        expiration: '2025-01-17',
        option_type: 'call',
        strike: '150.0001',
      }),
    ).to.throw(ToolInputError, /three decimals/);
  });
});

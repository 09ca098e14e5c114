import { NO_FEES } from '../../../src/domain/fill-model.ts';
import type { MarketContext, Quote } from '../../../src/domain/market.ts';
import { formatOcc, optionInstrument, parseOcc } from '../../../src/domain/options/index.ts';
import type { OptionInstrument } from '../../../src/domain/instrument.ts';
import type {
  AccountCommand,
  OrderLegRequest,
  OrderSide,
  PlaceOrder,
  SettingsPatch,
} from '../../../src/domain/account/index.ts';
import { CLOSE, market, NOW, opened, quote } from './spec-helper.ts';

/** The third Friday of March 2025: the options the specs trade expire then. */
export const EXPIRY = '2025-03-21';
/** 16:00 New York on the expiration day (EDT since March 9). */
export const EXPIRY_CLOSE = '2025-03-21T20:00:00.000Z';

/** No regulatory fees, so option cash figures are round. */
export const NO_FEE_SETTINGS: SettingsPatch = { fillModel: { regulatoryFees: NO_FEES } };

export function openedOptions(cash = '100000', settings: SettingsPatch = {}) {
  return opened(cash, { ...NO_FEE_SETTINGS, ...settings });
}

/** An AAPL option of the spec expiry. */
export function option(
  right: 'call' | 'put',
  strike: number,
  expiration = EXPIRY,
): OptionInstrument {
  const contract = parseOcc(formatOcc({ root: 'AAPL', expiration, right, strike: String(strike) }));
  if (contract === undefined) throw new Error('bad contract');
  return optionInstrument(contract);
}

/** A quote of an option contract, `size` contracts each side. */
export function optionQuote(
  instrument: OptionInstrument,
  bid: string,
  ask: string,
  size = 50,
): Quote {
  return quote({ symbol: instrument.occSymbol, bid, ask, bidSize: size, askSize: size, last: bid });
}

/** The market for an option order: the contract's quote (single leg) or the underlying's (multi-leg). */
export function optionMarket(
  quotes: readonly Quote[],
  single?: Quote,
  overrides: Partial<MarketContext> = {},
): MarketContext {
  return market({
    ...(single === undefined ? {} : { quote: single }),
    underlyingQuote: quote(),
    optionQuotes: Object.fromEntries(quotes.map((q) => [q.symbol, q])),
    ...overrides,
  });
}

/** A single-leg option limit order. */
export function optionOrder(
  side: OrderSide,
  instrument: OptionInstrument,
  qty: string,
  limit: string,
  q: Quote,
  options: { readonly orderId?: string; readonly fillId?: string | null } = {},
): PlaceOrder {
  const fillId = options.fillId === undefined ? `${options.orderId ?? 'o1'}-f` : options.fillId;
  return {
    type: 'PlaceOrder',
    data: {
      orderId: options.orderId ?? 'o1',
      ...(fillId === null ? {} : { fillId }),
      request: { instrument, side, type: 'limit', timeInForce: 'day', qty, limitPrice: limit },
      market: optionMarket([q], q),
    },
  };
}

/** A multi-leg limit order at a net price (positive debit, negative credit). */
export function spreadOrder(
  legs: readonly [OrderSide, OptionInstrument][],
  qty: string,
  netLimit: string,
  quotes: readonly Quote[],
  options: {
    readonly orderId?: string;
    readonly fillId?: string | null;
    readonly legs?: Partial<OrderLegRequest>[];
  } = {},
): PlaceOrder {
  const orderId = options.orderId ?? 's1';
  const fillId = options.fillId === undefined ? `${orderId}-f` : options.fillId;
  const first = legs[0]?.[1] ?? option('call', 100);
  return {
    type: 'PlaceOrder',
    data: {
      orderId,
      legOrderIds: legs.map((_, i) => `${orderId}-l${i + 1}`),
      ...(fillId === null ? {} : { fillId }),
      request: {
        instrument: first,
        side: 'buy',
        type: 'limit',
        timeInForce: 'day',
        orderClass: 'mleg',
        qty,
        limitPrice: netLimit,
        legs: legs.map(([side, instrument], i) => ({
          instrument,
          side,
          ratioQty: '1',
          ...options.legs?.[i],
        })),
      },
      market: optionMarket(quotes),
    },
  };
}

/** The engine's settlement of an expired position at the close of the spec expiry. */
export function settle(instrument: OptionInstrument, underlyingPrice: string): AccountCommand {
  return {
    type: 'SettleExpiredOption',
    data: {
      symbol: instrument.occSymbol,
      underlyingPrice,
      sessionDate: EXPIRY,
      sessionClose: EXPIRY_CLOSE,
      at: '2025-03-21T20:00:01.000Z',
    },
  };
}

export { CLOSE, NOW };

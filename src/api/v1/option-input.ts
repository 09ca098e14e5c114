/**
 * Multi-leg order bodies → domain `OrderRequest`s: each leg's OCC symbol normalized and
 * checked against what the market quotes (field errors name `legs.{i}.symbol`).
 */
import type { OrderRequest } from '../../domain/account/index.ts';
import { canonicalOcc, optionInstrument, parseOcc } from '../../domain/options/contract.ts';
import type { MarketData } from '../../market/port.ts';
import { fieldProblem } from './input.ts';
import type { MultiLegOrderBody } from './option-schemas.ts';

/** True for a body that asks for a multi-leg order (`legs`, or `order_class: mleg`). */
export function isMultiLegBody(body: unknown): boolean {
  if (typeof body !== 'object' || body === null) return false;
  const b = body as Record<string, unknown>;
  return 'legs' in b || b.order_class === 'mleg';
}

/** The domain request of a multi-leg body. */
export function multiLegRequestOf(body: MultiLegOrderBody, market: MarketData): OrderRequest {
  const legs = body.legs.map((leg, i) => {
    const occ = canonicalOcc(leg.symbol);
    const contract = occ === undefined ? undefined : parseOcc(occ);
    if (contract === undefined) {
      throw fieldProblem(
        'invalid_symbol',
        `legs.${i}.symbol`,
        `"${leg.symbol}" is not an OCC option symbol such as AAPL  260116C00280000`,
      );
    }
    if (market.latestQuote(contract.symbol) === undefined) {
      throw fieldProblem(
        'unknown_symbol',
        `legs.${i}.symbol`,
        `${contract.symbol} is not a listed option contract (see GET /api/v1/options/chains/${contract.underlying})`,
      );
    }
    return {
      instrument: optionInstrument(contract),
      side: leg.side,
      ratioQty: leg.ratio_qty,
      ...(leg.position_intent === undefined ? {} : { positionIntent: leg.position_intent }),
    };
  });
  if (body.type === 'limit' && body.limit_price === undefined) {
    throw fieldProblem('validation_failed', 'limit_price', 'is required for limit orders');
  }
  const first = legs[0];
  if (first === undefined) throw fieldProblem('validation_failed', 'legs', 'needs 2 to 4 legs');
  return {
    instrument: first.instrument,
    side: first.side,
    type: body.type,
    timeInForce: 'day',
    qty: body.qty,
    orderClass: 'mleg',
    legs,
    ...(body.limit_price === undefined ? {} : { limitPrice: body.limit_price }),
    ...(body.client_order_id === undefined ? {} : { clientOrderId: body.client_order_id }),
  };
}

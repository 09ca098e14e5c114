/**
 * Input parsing for the `/api/v1` trading routes: zod failures become one 422
 * `validation_failed` problem naming every offending field (`take_profit.limit_price`; an
 * unexpected key is named itself), and wire orders become domain `OrderRequest`s.
 */
import { z, type ZodError, type ZodType } from 'zod';
import type { OrderRequest, ReplaceChanges } from '../../domain/account/index.ts';
import { equity, isValidEquitySymbol, normalizeSymbol } from '../../domain/instrument.ts';
import { canonicalOcc, optionInstrument, parseOcc } from '../../domain/options/contract.ts';
import type { MarketData } from '../../market/port.ts';
import { ApiError, type FieldError } from '../problem.ts';
import type { PlaceOrderBody, ReplaceOrderBody } from './schemas.ts';

function fields(error: ZodError): FieldError[] {
  return error.issues.flatMap((issue): FieldError[] => {
    const path = issue.path.map(String).join('.');
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({
        field: path ? `${path}.${key}` : key,
        message: 'is not a field of this request',
      }));
    }
    const message =
      issue.code === 'invalid_type' && issue.message.endsWith('received undefined')
        ? 'is required'
        : issue.message;
    return [{ field: path || '(body)', message }];
  });
}

/** Parses `value` or throws a 422 `validation_failed` naming the fields. */
export function parseInput<S extends ZodType>(schema: S, value: unknown): z.output<S> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const errors = fields(parsed.error);
  throw new ApiError(422, 'validation_failed', 'Validation Failed', {
    detail: `Invalid ${errors.map((e) => e.field).join(', ')}`,
    errors,
  });
}

/** A 422 problem about one field with its own code (`unknown_symbol`, `notional_not_supported`). */
export function fieldProblem(code: string, field: string, message: string): ApiError {
  return new ApiError(422, code, 'Validation Failed', {
    detail: `${field} ${message}`,
    errors: [{ field, message }],
  });
}

/**
 * The domain order of a wire order, after the checks the schema cannot express: a quantity
 * (notional orders are not supported yet), one trail for trailing stops, and a symbol the
 * market lists.
 */
export function orderRequestOf(body: PlaceOrderBody, market: MarketData): OrderRequest {
  if (body.notional !== undefined) {
    throw fieldProblem(
      'notional_not_supported',
      'notional',
      'is not supported yet: give qty (shares) instead',
    );
  }
  if (body.qty === undefined) throw fieldProblem('validation_failed', 'qty', 'is required');
  const occ = canonicalOcc(body.symbol);
  const option = occ === undefined ? undefined : parseOcc(occ);
  const symbol = option === undefined ? normalizeSymbol(body.symbol) : option.symbol;
  if (option !== undefined) {
    // Options are listed when the market quotes them (optionable underlying, listed expiry).
    if (market.latestQuote(option.symbol) === undefined) {
      throw fieldProblem(
        'unknown_symbol',
        'symbol',
        `${option.symbol} is not a listed option contract (see GET /api/v1/options/chains/${option.underlying})`,
      );
    }
  } else if (!isValidEquitySymbol(symbol)) {
    throw fieldProblem(
      'invalid_symbol',
      'symbol',
      `"${body.symbol}" is not a valid US equity ticker`,
    );
  }
  if (option === undefined && market.asset(symbol) === undefined) {
    throw fieldProblem('unknown_symbol', 'symbol', `${symbol} is not listed on this venue`);
  }
  const common = {
    instrument: option === undefined ? equity(symbol) : optionInstrument(option),
    ...(body.position_intent === undefined ? {} : { positionIntent: body.position_intent }),
    side: body.side,
    type: body.type,
    timeInForce: body.time_in_force,
    qty: body.qty,
    ...(body.client_order_id === undefined ? {} : { clientOrderId: body.client_order_id }),
    ...(body.extended_hours === undefined ? {} : { extendedHours: body.extended_hours }),
    ...(body.order_class === undefined ? {} : { orderClass: body.order_class }),
    ...(body.take_profit === undefined
      ? {}
      : { takeProfit: { limitPrice: body.take_profit.limit_price } }),
    ...(body.stop_loss === undefined
      ? {}
      : {
          stopLoss: {
            stopPrice: body.stop_loss.stop_price,
            ...(body.stop_loss.limit_price === undefined
              ? {}
              : { limitPrice: body.stop_loss.limit_price }),
          },
        }),
  };
  switch (body.type) {
    case 'market':
      return common;
    case 'limit':
      return { ...common, limitPrice: body.limit_price };
    case 'stop':
      return { ...common, stopPrice: body.stop_price };
    case 'stop_limit':
      return { ...common, stopPrice: body.stop_price, limitPrice: body.limit_price };
    case 'trailing_stop':
      if ((body.trail_price === undefined) === (body.trail_percent === undefined)) {
        throw fieldProblem(
          'validation_failed',
          body.trail_price === undefined ? 'trail_price' : 'trail_percent',
          'give exactly one of trail_price or trail_percent',
        );
      }
      return body.trail_price === undefined
        ? { ...common, trailPercent: body.trail_percent ?? '' }
        : { ...common, trailPrice: body.trail_price };
  }
}

/** The domain changes of a wire replacement (`PATCH …/orders/{id}`). */
export function replaceChangesOf(body: ReplaceOrderBody): ReplaceChanges {
  return {
    ...(body.qty === undefined ? {} : { qty: body.qty }),
    ...(body.limit_price === undefined ? {} : { limitPrice: body.limit_price }),
    ...(body.stop_price === undefined ? {} : { stopPrice: body.stop_price }),
    ...(body.trail === undefined ? {} : { trail: body.trail }),
    ...(body.time_in_force === undefined ? {} : { timeInForce: body.time_in_force }),
    ...(body.client_order_id === undefined ? {} : { clientOrderId: body.client_order_id }),
  };
}

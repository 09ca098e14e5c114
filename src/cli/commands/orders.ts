import type { Command } from 'commander';
import {
  isOpen,
  type Order,
  type OrderRequest,
  type OrderSide,
  type OrderType,
  type TimeInForce,
} from '../../domain/account/index.ts';
import { allOrders } from '../../domain/account/order-lookup.ts';
import { equity, normalizeSymbol } from '../../domain/instrument.ts';
import { REJECTION_MESSAGES } from '../../domain/rejections.ts';
import type { CliDeps } from '../deps.ts';
import { cliContext, existingAccount, withTrading } from './accounts.ts';

const SIDES: readonly OrderSide[] = ['buy', 'sell'];
const TYPES: readonly OrderType[] = ['market', 'limit', 'stop', 'stop_limit', 'trailing_stop'];
const TIFS: readonly TimeInForce[] = ['day', 'gtc', 'ioc', 'fok', 'opg', 'cls'];
const DECIMAL = /^\d{1,12}(\.\d{1,9})?$/;

function oneOf<T extends string>(name: string, value: string, allowed: readonly T[]): T {
  const found = allowed.find((a) => a === value);
  if (found === undefined)
    throw new Error(`${name} must be one of ${allowed.join(', ')}, got "${value}"`);
  return found;
}

function decimal(name: string, value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (!DECIMAL.test(value) || Number(value) <= 0) {
    throw new Error(`${name} must be a positive decimal number, got "${value}"`);
  }
  return value;
}

interface PlaceOptions {
  symbol: string;
  side: string;
  qty: string;
  type: string;
  limitPrice?: string;
  stopPrice?: string;
  trailPercent?: string;
  trailPrice?: string;
  tif: string;
  clientOrderId?: string;
  extendedHours?: boolean;
  json?: boolean;
}

/** Validates the flags into an order request; throws a message naming the bad flag. */
function orderRequest(options: PlaceOptions): OrderRequest {
  const type = oneOf('--type', options.type, TYPES);
  const limitPrice = decimal('--limit-price', options.limitPrice);
  const stopPrice = decimal('--stop-price', options.stopPrice);
  const trailPercent = decimal('--trail-percent', options.trailPercent);
  const trailPrice = decimal('--trail-price', options.trailPrice);
  if ((type === 'limit' || type === 'stop_limit') && limitPrice === undefined) {
    throw new Error(`--limit-price is required for a ${type} order`);
  }
  if ((type === 'stop' || type === 'stop_limit') && stopPrice === undefined) {
    throw new Error(`--stop-price is required for a ${type} order`);
  }
  if (type === 'trailing_stop' && (trailPercent === undefined) === (trailPrice === undefined)) {
    throw new Error('a trailing_stop order needs exactly one of --trail-percent or --trail-price');
  }
  return {
    instrument: equity(normalizeSymbol(options.symbol)),
    side: oneOf('--side', options.side, SIDES),
    type,
    timeInForce: oneOf('--tif', options.tif, TIFS),
    qty: decimal('--qty', options.qty) ?? options.qty,
    ...(limitPrice === undefined ? {} : { limitPrice }),
    ...(stopPrice === undefined ? {} : { stopPrice }),
    ...(trailPercent === undefined ? {} : { trailPercent }),
    ...(trailPrice === undefined ? {} : { trailPrice }),
    ...(options.extendedHours ? { extendedHours: true } : {}),
  };
}

function averagePrice(order: Order): string {
  const filled = Number(order.filledQty);
  return filled > 0 ? (Number(order.filledNotional) / filled).toFixed(4) : '-';
}

function line(order: Order): string {
  const price =
    order.type === 'market'
      ? ''
      : ` ${[
          order.limitPrice && `limit ${order.limitPrice}`,
          order.stopPrice && `stop ${order.stopPrice}`,
        ]
          .filter(Boolean)
          .join(' ')}`;
  return `${order.id}  ${order.side} ${order.qty} ${order.symbol} ${order.type}${price} ${order.timeInForce}  ${order.status}  filled ${order.filledQty} @ ${averagePrice(order)}`;
}

/**
 * `paper-trading orders place|list|cancel`: trade an account from the command line, priced
 * against the configured market (by default the simulated feed, whose clock starts inside a
 * regular session, so a market order fills at once).
 */
export function register(program: Command, deps: CliDeps): void {
  const orders = program.command('orders').description('place, list and cancel orders');

  orders
    .command('place <accountId>')
    .description('place an order; a market order in the session fills at once')
    .requiredOption('--symbol <symbol>', 'ticker, e.g. AAPL')
    .requiredOption('--side <side>', 'buy or sell')
    .requiredOption('--qty <qty>', 'quantity (shares)')
    .option('--type <type>', TYPES.join('|'), 'market')
    .option('--limit-price <price>', 'limit price (limit, stop_limit)')
    .option('--stop-price <price>', 'stop price (stop, stop_limit)')
    .option('--trail-percent <percent>', 'trailing stop distance in percent')
    .option('--trail-price <price>', 'trailing stop distance in dollars')
    .option('--tif <tif>', TIFS.join('|'), 'day')
    .option('--client-order-id <id>', 'your id; placing it again returns the original order')
    .option('--extended-hours', 'allow a limit day order to work in pre/post-market')
    .option('--json', 'print JSON')
    .action(async (accountId: string, options: PlaceOptions) => {
      const request = orderRequest(options);
      await withTrading(deps, async (service) => {
        await existingAccount(service, accountId);
        const symbol = request.instrument.kind === 'equity' ? request.instrument.symbol : '';
        if (service.market.asset(symbol) === undefined) {
          throw new Error(`unknown symbol ${symbol}`);
        }
        const placed = await service.placeOrder(
          accountId,
          request,
          options.clientOrderId === undefined ? {} : { clientOrderId: options.clientOrderId },
          cliContext(),
        );
        if (options.json) {
          deps.stdout.write(
            `${JSON.stringify(
              {
                orderId: placed.orderId,
                duplicate: placed.duplicate,
                position: placed.position,
                order: placed.order,
                rejection: placed.rejection,
              },
              null,
              2,
            )}\n`,
          );
        } else if (placed.order) {
          deps.stdout.write(`${placed.duplicate ? 'already placed: ' : ''}${line(placed.order)}\n`);
        }
        if (placed.rejection) {
          throw new Error(
            `order ${placed.orderId} rejected: ${placed.rejection.reason} — ${REJECTION_MESSAGES[placed.rejection.reason]}`,
          );
        }
      });
    });

  orders
    .command('list <accountId>')
    .description('orders of an account, newest first')
    .option('--status <status>', 'open|closed|all', 'all')
    .option('--json', 'print JSON')
    .action(async (accountId: string, options: { status: string; json?: boolean }) => {
      const status = oneOf('--status', options.status, ['open', 'closed', 'all'] as const);
      await withTrading(deps, async (service) => {
        const state = await existingAccount(service, accountId);
        const rows = allOrders(state)
          .filter((o) => status === 'all' || isOpen(o) === (status === 'open'))
          .sort((a, b) => (a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : 0));
        if (options.json) {
          deps.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
          return;
        }
        if (rows.length === 0) deps.stdout.write('no orders\n');
        for (const order of rows) deps.stdout.write(`${line(order)}\n`);
      });
    });

  orders
    .command('cancel <accountId> <orderId>')
    .description('cancel an open order')
    .option('--json', 'print JSON')
    .action(async (accountId: string, orderId: string, options: { json?: boolean }) => {
      await withTrading(deps, async (service) => {
        await existingAccount(service, accountId);
        const canceled = await service.cancelOrder(accountId, orderId, cliContext());
        if (options.json) {
          deps.stdout.write(
            `${JSON.stringify({ order: canceled.order, position: canceled.position }, null, 2)}\n`,
          );
        } else if (canceled.order) {
          deps.stdout.write(`${line(canceled.order)}\n`);
        }
      });
    });
}

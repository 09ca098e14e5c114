/**
 * Trading as a principal: the one place where REST (`/api/v1`, `/v2`), MCP and the dashboard
 * open accounts, place, replace and cancel orders, preview orders and read the trading read
 * models. Authorization is decided here, in the command layer, so every interface gets the
 * same answer: traders trade their own accounts, viewers read, auditors and admins read every
 * account, and another tenant's account is reported as not found. Refusals are recorded in the
 * audit trail. Interfaces translate wire formats; they hold no business rule.
 */
import type { Action, Principal } from './policy.ts';
import { actorOf, authorize, PolicyError, roleOf } from './policy.ts';
import type { AuditTrail, AttemptContext } from './audit-trail.ts';
import type {
  AccountService,
  CallContext as AccountCallContext,
  OrderResult,
  PlaceOrderResult,
  WriteResult,
} from './accounts.ts';
import { preTradeRisk, type PreTradeRisk, type PreviewFinding } from './preview-risk.ts';
import { legCount } from './accounts.ts';
import type { MarketData } from '../market/port.ts';
import {
  buyingPower,
  decideAndFold,
  type AccountEvent,
  type AccountState,
  type OrderRequest,
  type ReplaceChanges,
  type SettingsPatch,
} from '../domain/account/index.ts';
import { orderById } from '../domain/account/order-lookup.ts';
import { DomainError } from '../domain/errors.ts';
import { Dec } from '../domain/decimal.ts';
import { dec, fmt, type DecimalString } from '../domain/money.ts';
import { rejectionMessage, type RejectionReason } from '../domain/rejections.ts';
import { accountStream } from '../domain/ids.ts';
import type { ReadAccess } from '../projections/tenancy.ts';
import type {
  AccountView,
  FillListRequest,
  FillView,
  OrderListRequest,
  OrderView,
  Page,
  PageRequest,
  PortfolioHistory,
  PortfolioHistoryRequest,
  PositionView,
  TradingQueries,
} from '../projections/trading-views.ts';

/** Where a call came from (the actor and role are taken from the principal). */
export interface TradingCallContext {
  readonly source: AccountCallContext['source'];
  readonly ip?: string;
  readonly correlationId: string;
}

/** Refuses a read of an account the principal cannot see (no owner) or may not read. */
function mayRead(principal: Principal, owner: string | undefined): void {
  if (owner === undefined) throw accountNotFound();
  authorizeOn(principal, 'account.read', owner);
}

/** The read access a principal has: auditors and admins read every row, others their own. */
export function accessOf(principal: Principal): ReadAccess {
  if (principal.roles.includes('admin')) return { reader: 'admin' };
  if (principal.roles.includes('auditor')) return { reader: 'auditor' };
  return { tenant: principal.userId };
}

export type { PreviewFinding, PreTradeRisk } from './preview-risk.ts';

/** What an order would do, computed on the current state without writing anything. */
export interface OrderPreview {
  /** The events the order would append now (an `OrderRejected` when it would be rejected). */
  readonly events: readonly AccountEvent[];
  readonly accepted: boolean;
  readonly rejection: { readonly reason: RejectionReason; readonly message: string } | null;
  /** Status the order would have right after placement (`filled`, `new`, `accepted`…). */
  readonly status: string | null;
  readonly buyingPowerBefore: DecimalString;
  readonly buyingPowerAfter: DecimalString;
  readonly cashBefore: DecimalString;
  readonly cashAfter: DecimalString;
  readonly findings: readonly PreviewFinding[];
  /** The position and portfolio once the order is filled, limits used (preview-risk.ts). */
  readonly risk: PreTradeRisk;
}

export interface TradingCommandsDeps {
  readonly accounts: AccountService;
  readonly market: MarketData;
  readonly audit: AuditTrail;
  readonly queries: TradingQueries;
}

/** A write refused because the account does not exist or is not visible to the caller. */
function accountNotFound(): PolicyError {
  return new PolicyError('not_found', 'account_not_found', 'The account does not exist');
}

/**
 * `authorize` on an account: another tenant's account is refused exactly like a missing one
 * (`account_not_found`), so a caller cannot tell "exists but not yours" from "does not exist".
 */
function authorizeOn(principal: Principal, action: Action, ownerId: string): void {
  try {
    authorize(principal, action, { ownerId });
  } catch (error) {
    if (error instanceof PolicyError && error.kind === 'not_found') throw accountNotFound();
    throw error;
  }
}

export class TradingCommands {
  constructor(private readonly deps: TradingCommandsDeps) {}

  // ─── writes ───────────────────────────────────────────────────────────────────────────────

  /** Opens an account owned by the caller, funded with `initialCash`. */
  openAccount(
    principal: Principal,
    input: {
      readonly name: string;
      readonly initialCash: DecimalString;
      readonly settings?: SettingsPatch;
    },
    context: TradingCallContext,
  ): Promise<WriteResult> {
    return this.#audited(principal, context, 'OpenAccount', undefined, () => {
      authorize(principal, 'account.open');
      return this.deps.accounts.openAccount(
        { ownerId: principal.userId, ...input },
        this.#context(principal, context),
      );
    });
  }

  placeOrder(
    principal: Principal,
    accountId: string,
    request: OrderRequest,
    options: { readonly clientOrderId?: string; readonly queueWhenClosed?: boolean },
    context: TradingCallContext,
  ): Promise<PlaceOrderResult> {
    return this.#trade(principal, context, 'PlaceOrder', accountId, () =>
      this.deps.accounts.placeOrder(accountId, request, options, this.#context(principal, context)),
    );
  }

  cancelOrder(
    principal: Principal,
    accountId: string,
    orderId: string,
    context: TradingCallContext,
  ): Promise<OrderResult> {
    return this.#trade(
      principal,
      context,
      'CancelOrder',
      accountId,
      (state) => {
        if (orderById(state, orderId) === undefined) {
          throw new DomainError('order_not_found', `order ${orderId} not found`, 'orderId');
        }
        return this.deps.accounts.cancelOrder(
          accountId,
          orderId,
          this.#context(principal, context),
        );
      },
      true,
    );
  }

  /** Cancels every open order, or only those of one asset class (stock or option orders). */
  cancelAll(
    principal: Principal,
    accountId: string,
    context: TradingCallContext,
    assetClass?: 'us_equity' | 'us_option',
  ): Promise<WriteResult> {
    return this.#trade(principal, context, 'CancelAllOrders', accountId, () =>
      this.deps.accounts.cancelAll(accountId, this.#context(principal, context), assetClass),
    );
  }

  /** Exercises long option contracts early (American style); see `AccountService.exerciseOption`. */
  exerciseOption(
    principal: Principal,
    accountId: string,
    symbol: string,
    qty: DecimalString | undefined,
    context: TradingCallContext,
  ): Promise<WriteResult> {
    return this.#trade(principal, context, 'ExerciseOption', accountId, () =>
      this.deps.accounts.exerciseOption(accountId, symbol, qty, this.#context(principal, context)),
    );
  }

  replaceOrder(
    principal: Principal,
    accountId: string,
    orderId: string,
    changes: ReplaceChanges,
    context: TradingCallContext,
  ): Promise<OrderResult & { readonly newOrderId: string }> {
    return this.#trade(
      principal,
      context,
      'ReplaceOrder',
      accountId,
      (state) => {
        if (orderById(state, orderId) === undefined) {
          throw new DomainError('order_not_found', `order ${orderId} not found`, 'orderId');
        }
        return this.deps.accounts.replaceOrder(
          accountId,
          orderId,
          changes,
          this.#context(principal, context),
        );
      },
      true,
    );
  }

  deposit(
    principal: Principal,
    accountId: string,
    input: { readonly amount: DecimalString; readonly reference?: string },
    context: TradingCallContext,
  ): Promise<WriteResult> {
    return this.#trade(principal, context, 'Deposit', accountId, () =>
      this.deps.accounts.deposit(accountId, input, this.#context(principal, context)),
    );
  }

  withdraw(
    principal: Principal,
    accountId: string,
    input: { readonly amount: DecimalString; readonly reference?: string },
    context: TradingCallContext,
  ): Promise<WriteResult> {
    return this.#trade(principal, context, 'Withdraw', accountId, () =>
      this.deps.accounts.withdraw(accountId, input, this.#context(principal, context)),
    );
  }

  updateSettings(
    principal: Principal,
    accountId: string,
    settings: SettingsPatch,
    context: TradingCallContext,
  ): Promise<WriteResult> {
    return this.#trade(principal, context, 'UpdateSettings', accountId, () =>
      this.deps.accounts.updateSettings(accountId, settings, this.#context(principal, context)),
    );
  }

  /**
   * What `placeOrder` would do now, decided on the current state with the current market and
   * written nowhere: the events, buying power and cash before and after, and findings.
   * Needs read access to the account.
   */
  async previewOrder(
    principal: Principal,
    accountId: string,
    request: OrderRequest,
    options: { readonly clientOrderId?: string; readonly queueWhenClosed?: boolean } = {},
  ): Promise<OrderPreview> {
    const { state } = await this.deps.accounts.load(accountId);
    if (state.status !== 'open' || state.ownerId === null) throw accountNotFound();
    authorizeOn(principal, 'account.read', state.ownerId);
    const clientOrderId = options.clientOrderId ?? request.clientOrderId;
    const market = await this.deps.accounts.riskMarket(accountId, request, {
      always: true,
      state,
    });
    // The decision's own fold (folding its events again from `state` would copy the state's
    // append-only maps: a second branch from the same state).
    const { events, state: after } = decideAndFold(
      {
        type: 'PlaceOrder',
        data: {
          orderId: 'preview',
          legOrderIds: Array.from({ length: legCount(request) }, (_, i) => `preview-leg-${i + 1}`),
          fillId: 'preview-fill',
          request: clientOrderId === undefined ? request : { ...request, clientOrderId },
          market,
          ...(options.queueWhenClosed === undefined
            ? {}
            : { queueWhenClosed: options.queueWhenClosed }),
        },
      },
      state,
    );
    const rejected = events.find((e) => e.type === 'OrderRejected');
    const findings: PreviewFinding[] = [];
    if (rejected) {
      findings.push({
        severity: 'rejection',
        code: rejected.data.reason,
        message: rejected.data.message,
      });
    }
    const placed = events.find((e) => e.type === 'OrderPlaced');
    const status = placed ? (orderById(after, placed.data.order.id)?.status ?? null) : null;
    if (status === 'accepted') {
      findings.push({
        severity: 'info',
        code: 'queued_until_open',
        message: 'The market is closed: the order would be accepted and queued until it opens.',
      });
    }
    const bpAfter = buyingPower(after);
    const bpBefore = buyingPower(state);
    if (!rejected && bpBefore.greaterThan(0)) {
      const used = bpBefore.minus(bpAfter);
      if (used.greaterThan(bpBefore.times('0.5'))) {
        findings.push({
          severity: 'warning',
          code: 'large_order',
          message: `The order would use ${fmt(used.dividedBy(bpBefore).times(100).toDecimalPlaces(1))} % of the buying power.`,
        });
      }
    }
    if (events.length === 0) {
      findings.push({
        severity: 'info',
        code: 'duplicate_client_order_id',
        message: 'The client_order_id was already used: placing it would return the original.',
      });
    }
    const fills = events.flatMap((e) => (e.type === 'OrderFilled' ? [e.data] : []));
    const filledQty = fills.reduce((sum, f) => sum.plus(dec(f.qty)), new Dec(0));
    const quote = market.quote;
    const touch =
      quote === undefined ? undefined : dec(request.side === 'buy' ? quote.ask : quote.bid);
    const assumed =
      request.limitPrice !== undefined
        ? dec(request.limitPrice)
        : request.stopPrice !== undefined
          ? dec(request.stopPrice)
          : touch !== undefined && touch.gt(0)
            ? touch
            : undefined;
    const { risk, findings: riskFindings } = preTradeRisk({
      before: state,
      after,
      request,
      symbol:
        request.instrument.kind === 'equity'
          ? request.instrument.symbol
          : request.instrument.occSymbol,
      market,
      filledQty,
      price: assumed,
      accepted: rejected === undefined && events.length > 0,
    });
    findings.push(...riskFindings);
    return {
      risk,
      events,
      accepted: rejected === undefined && events.length > 0,
      rejection: rejected
        ? { reason: rejected.data.reason, message: rejectionMessage(rejected.data.reason) }
        : null,
      status,
      buyingPowerBefore: fmt(bpBefore),
      buyingPowerAfter: fmt(bpAfter),
      cashBefore: state.cash,
      cashAfter: fmt(dec(after.cash)),
      findings,
    };
  }

  // ─── reads (projections, filtered by row-level security) ──────────────────────────────────

  listAccounts(principal: Principal, page?: PageRequest): Promise<Page<AccountView>> {
    authorize(principal, 'account.read', { ownerId: principal.userId });
    return this.deps.queries.listAccounts(accessOf(principal), page);
  }

  /** The account, or `PolicyError('not_found')` when it does not exist or is not visible. */
  async account(principal: Principal, accountId: string): Promise<AccountView> {
    const view = await this.deps.queries.getAccount(accessOf(principal), accountId);
    if (!view) throw accountNotFound();
    authorizeOn(principal, 'account.read', view.ownerId);
    return view;
  }

  /** What `account` checks, without valuing the account: before reads of its contents. */
  async #readable(principal: Principal, accountId: string): Promise<void> {
    mayRead(principal, await this.deps.queries.accountOwner(accessOf(principal), accountId));
  }

  async listOrders(
    principal: Principal,
    accountId: string,
    request?: OrderListRequest,
  ): Promise<Page<OrderView>> {
    await this.#readable(principal, accountId);
    return this.deps.queries.listOrders(accessOf(principal), accountId, request);
  }

  async order(principal: Principal, accountId: string, orderId: string): Promise<OrderView> {
    await this.#readable(principal, accountId);
    const order = await this.deps.queries.getOrder(accessOf(principal), accountId, orderId);
    if (!order) throw new PolicyError('not_found', 'order_not_found', 'The order does not exist');
    return order;
  }

  async orderByClientOrderId(
    principal: Principal,
    accountId: string,
    clientOrderId: string,
  ): Promise<OrderView> {
    await this.#readable(principal, accountId);
    const order = await this.deps.queries.getOrderByClientOrderId(
      accessOf(principal),
      accountId,
      clientOrderId,
    );
    if (!order) throw new PolicyError('not_found', 'order_not_found', 'The order does not exist');
    return order;
  }

  async positions(principal: Principal, accountId: string): Promise<readonly PositionView[]> {
    // One snapshot read answers both the owner check and the positions (the hot read).
    const { owner, positions } = await this.deps.queries.ownedPositions(
      accessOf(principal),
      accountId,
    );
    mayRead(principal, owner);
    return positions();
  }

  async position(principal: Principal, accountId: string, symbol: string): Promise<PositionView> {
    await this.#readable(principal, accountId);
    const position = await this.deps.queries.getPosition(accessOf(principal), accountId, symbol);
    if (!position) {
      throw new PolicyError('not_found', 'position_not_found', `No open position in ${symbol}`);
    }
    return position;
  }

  async fills(
    principal: Principal,
    accountId: string,
    request?: FillListRequest,
  ): Promise<Page<FillView>> {
    await this.#readable(principal, accountId);
    return this.deps.queries.listFills(accessOf(principal), accountId, request);
  }

  async portfolioHistory(
    principal: Principal,
    accountId: string,
    request?: PortfolioHistoryRequest,
  ): Promise<PortfolioHistory> {
    await this.#readable(principal, accountId);
    const history = await this.deps.queries.portfolioHistory(
      accessOf(principal),
      accountId,
      request,
    );
    if (!history) throw accountNotFound();
    return history;
  }

  /** The owner of an account per the event store (write side), or undefined when absent. */
  async ownerOf(accountId: string): Promise<string | undefined> {
    const { state } = await this.deps.accounts.load(accountId);
    return state.status === 'open' && state.ownerId !== null ? state.ownerId : undefined;
  }

  // ─── internals ────────────────────────────────────────────────────────────────────────────

  #context(principal: Principal, context: TradingCallContext): AccountCallContext {
    return {
      actor: actorOf(principal),
      source: context.source,
      correlationId: context.correlationId,
    };
  }

  /** Loads the account, checks the caller may trade it, then runs `work` (audited). */
  #trade<T>(
    principal: Principal,
    context: TradingCallContext,
    command: string,
    accountId: string,
    work: (state: AccountState) => Promise<T>,
    needsState = false,
  ): Promise<T> {
    return this.#audited(principal, context, command, accountId, async () => {
      const state = await this.#ownedState(accountId, needsState);
      if (state.status !== 'open' || state.ownerId === null) throw accountNotFound();
      authorizeOn(principal, 'account.trade', state.ownerId);
      return work(state);
    });
  }

  /**
   * The account's state for `#trade`: the current one when the work reads it, else the one this
   * process already holds when it names an owner — an open account never closes and never
   * changes owner, and the command itself is decided on the current state by the handler.
   */
  async #ownedState(accountId: string, current: boolean): Promise<AccountState> {
    if (!current) {
      const known = this.deps.accounts.knownState(accountId);
      if (known?.status === 'open' && known.ownerId !== null) return known;
    }
    return (await this.deps.accounts.load(accountId)).state;
  }

  /** Records refusals (policy) and invalid commands (domain errors) in the audit trail. */
  async #audited<T>(
    principal: Principal,
    context: TradingCallContext,
    command: string,
    accountId: string | undefined,
    work: () => Promise<T>,
  ): Promise<T> {
    try {
      return await work();
    } catch (error) {
      const attempt: AttemptContext = {
        actor: actorOf(principal),
        role: roleOf(principal),
        source: context.source,
        correlationId: context.correlationId,
        ...(context.ip === undefined ? {} : { ip: context.ip }),
      };
      const target = accountId === undefined ? {} : { target: accountStream(accountId) };
      if (error instanceof PolicyError) {
        await this.deps.audit.refused(attempt, {
          command,
          ...target,
          code: error.code,
          detail: error.message,
        });
      } else if (error instanceof DomainError) {
        await this.deps.audit.rejected(attempt, {
          command,
          ...target,
          code: error.code,
          detail: error.message,
        });
      }
      throw error;
    }
  }
}

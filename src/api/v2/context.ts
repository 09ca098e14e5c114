/**
 * What every `/v2` route shares: its dependencies, Alpaca's key-pair authentication, the
 * account a caller acts on, the call context (source `alpaca-v2`) and read-your-writes for
 * clients that cannot send `X-Min-Position`.
 */
import type { MarketReads } from '../../market/cached-reads.ts';
import type { Request, RequestHandler, Response } from 'express';
import type { Logger } from 'pino';
import type { Principal } from '../../commands/policy.ts';
import type { TradingCallContext, TradingCommands } from '../../commands/trading.ts';
import { joinApiKey } from '../../auth/opaque-tokens.ts';
import type { MarketData } from '../../market/port.ts';
import type { OptionsMarket } from '../../market/options/index.ts';
import type { LiveUpdates } from '../live.ts';
import { callContext, principalOf, type Authenticator } from '../authenticate.ts';
import type { PositionWaiter } from '../v1/consistency.ts';
import { AlpacaError } from './errors.ts';

export interface AlpacaDeps {
  readonly trading: TradingCommands;
  readonly market: MarketData;
  /** Option contracts (`/v2/options/contracts`); without it the listing is empty. */
  readonly options?: OptionsMarket;
  /** The asset list and calendar through the cache (default: read from `market`). */
  readonly reads?: MarketReads;
  /** `requireAuth` and the per-user limiter (`security.authenticated`), in order. */
  readonly authenticated: readonly RequestHandler[];
  /** Resolves a bearer credential (the stream authenticates outside express). */
  readonly authenticate: Authenticator;
  /** The read models' progress, for read-your-writes. */
  readonly waiter: PositionWaiter;
  /** `READ_WAIT_MS`: the longest a read waits for the caller's own writes. */
  readonly readWaitMs: number;
  /** The live-update hub `trade_updates` reads from. */
  readonly live: LiveUpdates;
  readonly logger?: Logger;
}

/**
 * `APCA-API-KEY-ID` + `APCA-API-SECRET-KEY` are one of our API keys split in two
 * (`{key_id}.{secret}` is its bearer form), so they become `Authorization: Bearer …` and the
 * usual authentication (and per-user rate limit) runs unchanged. Without them, a bearer
 * token (an access token, an API key, Alpaca's OAuth style) is used as sent.
 */
export const apcaCredentials: RequestHandler = (req, _res, next) => {
  const keyId = req.get('apca-api-key-id')?.trim();
  const secret = req.get('apca-api-secret-key')?.trim();
  if (keyId === undefined && secret === undefined) {
    next();
    return;
  }
  if (!keyId || !secret) {
    next(
      new AlpacaError(
        401,
        'unauthenticated',
        'request is not authorized: send both APCA-API-KEY-ID and APCA-API-SECRET-KEY',
      ),
    );
    return;
  }
  req.headers.authorization = `Bearer ${joinApiKey(keyId, secret)}`;
  next();
};

/** Source `alpaca-v2`, IP and correlation id of a `/v2` call, for events and the audit log. */
export function alpacaContext(req: Request, res: Response): TradingCallContext {
  return { ...callContext(req, res), source: 'alpaca-v2' };
}

/**
 * The account a principal trades through `/v2`: the one its API key is bound to, else the
 * oldest account the user owns. Alpaca has one account per key; so do we.
 */
export async function accountFor(trading: TradingCommands, principal: Principal): Promise<string> {
  if (principal.accountId !== undefined) return principal.accountId;
  const page = await trading.listAccounts(principal, { limit: 500 });
  const own = page.items.find((a) => a.ownerId === principal.userId);
  if (own === undefined) {
    throw new AlpacaError(
      403,
      'no_account',
      'no account to trade: open one with POST /api/v1/accounts, or create an API key bound to one (account_id)',
    );
  }
  return own.id;
}

/** {@link accountFor} of the request's caller, resolved once per request. */
export async function accountOf(trading: TradingCommands, res: Response): Promise<string> {
  const known = res.locals.alpacaAccount as string | undefined;
  if (known !== undefined) return known;
  const id = await accountFor(trading, principalOf(res));
  res.locals.alpacaAccount = id;
  return id;
}

/**
 * Read-your-writes without headers. Alpaca clients read right after they write (place, then
 * get the order; a fill on the stream, then the positions) and send no `X-Min-Position`, so
 * the process remembers, per account, the position of the last write it answered and the last
 * update it streamed, and a read of that account waits (at most `READ_WAIT_MS`) until the read
 * models have applied it. Per process: a client spread over replicas reads its writes only as
 * soon as the projections catch up.
 */
export class AccountWatermarks {
  readonly #last = new Map<string, number>();

  constructor(
    private readonly waiter: PositionWaiter,
    private readonly timeoutMs: number,
    private readonly capacity = 100_000,
  ) {}

  /** Records that `position` of `accountId` was shown to a client. */
  note(accountId: string, position: number | undefined): void {
    if (position === undefined) return;
    const previous = this.#last.get(accountId);
    if (previous !== undefined && previous >= position) return;
    this.#last.delete(accountId);
    this.#last.set(accountId, position);
    if (this.#last.size > this.capacity) {
      const oldest = this.#last.keys().next();
      if (!oldest.done) this.#last.delete(oldest.value);
    }
  }

  /** Waits until the read models show everything noted for `accountId`. */
  async settle(accountId: string): Promise<void> {
    const position = this.#last.get(accountId);
    if (position === undefined) return;
    try {
      await this.waiter.waitForPosition(position, this.timeoutMs);
    } catch {
      const retryAfter = String(Math.max(1, Math.ceil(this.timeoutMs / 1000)));
      throw new AlpacaError(
        503,
        'projection_lag',
        `the read models did not reach your last write within ${this.timeoutMs} ms; retry`,
        { min_position: position },
        { 'Retry-After': retryAfter },
      );
    }
  }
}

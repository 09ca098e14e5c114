/**
 * Round-trip trades from fills: a trade opens when a symbol's position leaves zero and closes
 * when it returns to zero (a fill that flips the position closes one trade and opens the
 * next). P&L is the decider's realized P&L (average cost) less every fee paid during the trade.
 * A position still open at the end counts as a trade closed at the last close, without exit
 * costs (`open: true`).
 */
export interface Trade {
  readonly symbol: string;
  readonly side: 'long' | 'short';
  readonly entryTime: number;
  readonly exitTime: number;
  /** Largest absolute position of the trade. */
  readonly qty: number;
  readonly entryPrice: number;
  readonly exitPrice: number;
  readonly pnl: number;
  /** pnl / entry cost. */
  readonly returnPct: number;
  /** Timeline steps from entry to exit. */
  readonly bars: number;
  readonly open: boolean;
}

interface OpenTrade {
  side: 'long' | 'short';
  position: number;
  maxQty: number;
  entryQty: number;
  entryNotional: number;
  exitQty: number;
  exitNotional: number;
  realized: number;
  fees: number;
  entryTime: number;
  entryStep: number;
  lastStep: number;
}

export class TradeTracker {
  readonly #open = new Map<string, OpenTrade>();
  readonly #closed: Trade[] = [];
  #lastStep = 0;

  /** Books one fill: `signedQty` > 0 for buys. */
  fill(
    symbol: string,
    signedQty: number,
    price: number,
    fees: number,
    realized: number,
    time: number,
    step: number,
  ): void {
    this.#lastStep = step;
    let trade = this.#open.get(symbol);
    let qty = signedQty;
    if (trade !== undefined) {
      const reducing = Math.sign(qty) !== Math.sign(trade.position);
      if (reducing) {
        const closing = Math.min(Math.abs(qty), Math.abs(trade.position));
        trade.exitQty += closing;
        trade.exitNotional += closing * price;
        trade.realized += realized;
        trade.fees += fees;
        trade.position += Math.sign(qty) * closing;
        trade.lastStep = step;
        qty -= Math.sign(qty) * closing;
        if (Math.abs(trade.position) < 1e-12) {
          this.#close(symbol, trade, time, false, trade.exitNotional / trade.exitQty);
          trade = undefined;
        }
        if (Math.abs(qty) < 1e-12) return;
        // The rest of the fill opens the next trade; its fees stay with the closed one.
        fees = 0;
      }
    }
    if (trade === undefined) {
      trade = {
        side: qty > 0 ? 'long' : 'short',
        position: 0,
        maxQty: 0,
        entryQty: 0,
        entryNotional: 0,
        exitQty: 0,
        exitNotional: 0,
        realized: 0,
        fees: 0,
        entryTime: time,
        entryStep: step,
        lastStep: step,
      };
      this.#open.set(symbol, trade);
    }
    trade.position += qty;
    trade.entryQty += Math.abs(qty);
    trade.entryNotional += Math.abs(qty) * price;
    trade.fees += fees;
    trade.maxQty = Math.max(trade.maxQty, Math.abs(trade.position));
    trade.lastStep = step;
  }

  #close(symbol: string, trade: OpenTrade, time: number, open: boolean, exitPrice: number): void {
    this.#open.delete(symbol);
    const entryPrice = trade.entryNotional / trade.entryQty;
    const pnl = trade.realized - trade.fees;
    const cost = entryPrice * trade.maxQty;
    this.#closed.push({
      symbol,
      side: trade.side,
      entryTime: trade.entryTime,
      exitTime: time,
      qty: trade.maxQty,
      entryPrice,
      exitPrice,
      pnl,
      returnPct: cost > 0 ? pnl / cost : 0,
      bars: (open ? this.#lastStep : trade.lastStep) - trade.entryStep,
      open,
    });
  }

  /** Every trade, oldest entry first; open positions are marked at `lastPrice`. */
  finish(lastPrice: (symbol: string) => number, time: number, step: number): Trade[] {
    this.#lastStep = Math.max(this.#lastStep, step);
    for (const [symbol, trade] of [...this.#open]) {
      const price = lastPrice(symbol);
      const unrealized = trade.position * (price - trade.entryNotional / trade.entryQty);
      trade.realized += unrealized;
      this.#close(symbol, trade, time, true, price);
    }
    return [...this.#closed].sort(
      (a, b) => a.entryTime - b.entryTime || a.symbol.localeCompare(b.symbol),
    );
  }
}

/**
 * The simulated universe: well-known US stocks and ETFs with plausible reference prices,
 * volatilities and volumes, plus two fictional sub-dollar names that exercise the $0.0001
 * tick. Every price the feed produces from these is simulated, and every asset says so.
 */
import type { Asset } from '../../domain/market.ts';

/** Liquidity tier: sets spreads, displayed size and how closely a name follows the market. */
export type LiquidityTier = 'etf' | 'mega' | 'large' | 'mid' | 'penny';

/** An asset plus the parameters of its price model. */
export interface SimulatedInstrument extends Asset {
  /** Close on the model's anchor date, in dollars. */
  readonly referencePrice: number;
  /** Annualised volatility of log returns (0.25 = 25 %). */
  readonly volatility: number;
  /** Average regular-session volume, in shares. */
  readonly averageDailyVolume: number;
  readonly tier: LiquidityTier;
  /** Typical quoted spread in basis points of the mid during the regular session. */
  readonly spreadBps: number;
  /** Largest displayed size at the NBBO, in 100-share round lots. */
  readonly maxLots: number;
  /** Loading on the common market factor (0 … 1): correlation of daily returns with it. */
  readonly marketLoading: number;
  /** Average shares per trade, for bar trade counts. */
  readonly averageTradeSize: number;
}

type Row = readonly [
  symbol: string,
  name: string,
  exchange: string,
  sector: string,
  price: number,
  volatility: number,
  advMillions: number,
  tier: LiquidityTier,
];

/* prettier-ignore */
const ROWS: readonly Row[] = [
  ['AAPL', 'Apple Inc.', 'NASDAQ', 'Information Technology', 270, 0.27, 52, 'mega'],
  ['MSFT', 'Microsoft Corporation', 'NASDAQ', 'Information Technology', 480, 0.24, 21, 'mega'],
  ['GOOGL', 'Alphabet Inc. Class A', 'NASDAQ', 'Communication Services', 280, 0.3, 30, 'mega'],
  ['AMZN', 'Amazon.com, Inc.', 'NASDAQ', 'Consumer Discretionary', 225, 0.32, 42, 'mega'],
  ['NVDA', 'NVIDIA Corporation', 'NASDAQ', 'Information Technology', 180, 0.5, 190, 'mega'],
  ['META', 'Meta Platforms, Inc. Class A', 'NASDAQ', 'Communication Services', 620, 0.38, 13, 'mega'],
  ['TSLA', 'Tesla, Inc.', 'NASDAQ', 'Consumer Discretionary', 420, 0.6, 95, 'mega'],
  ['JPM', 'JPMorgan Chase & Co.', 'NYSE', 'Financials', 300, 0.24, 9, 'mega'],
  ['V', 'Visa Inc. Class A', 'NYSE', 'Financials', 340, 0.2, 7, 'mega'],
  ['MA', 'Mastercard Incorporated Class A', 'NYSE', 'Financials', 560, 0.21, 3, 'large'],
  ['UNH', 'UnitedHealth Group Incorporated', 'NYSE', 'Health Care', 330, 0.35, 9, 'large'],
  ['XOM', 'Exxon Mobil Corporation', 'NYSE', 'Energy', 115, 0.23, 15, 'mega'],
  ['JNJ', 'Johnson & Johnson', 'NYSE', 'Health Care', 195, 0.17, 8, 'large'],
  ['PG', 'The Procter & Gamble Company', 'NYSE', 'Consumer Staples', 150, 0.17, 7, 'large'],
  ['HD', 'The Home Depot, Inc.', 'NYSE', 'Consumer Discretionary', 360, 0.23, 4, 'large'],
  ['KO', 'The Coca-Cola Company', 'NYSE', 'Consumer Staples', 70, 0.16, 14, 'large'],
  ['PEP', 'PepsiCo, Inc.', 'NASDAQ', 'Consumer Staples', 145, 0.18, 7, 'large'],
  ['COST', 'Costco Wholesale Corporation', 'NASDAQ', 'Consumer Staples', 920, 0.22, 2, 'large'],
  ['WMT', 'Walmart Inc.', 'NASDAQ', 'Consumer Staples', 100, 0.2, 18, 'mega'],
  ['DIS', 'The Walt Disney Company', 'NYSE', 'Communication Services', 112, 0.27, 9, 'large'],
  ['NFLX', 'Netflix, Inc.', 'NASDAQ', 'Communication Services', 110, 0.36, 40, 'large'],
  ['AMD', 'Advanced Micro Devices, Inc.', 'NASDAQ', 'Information Technology', 230, 0.52, 55, 'mega'],
  ['INTC', 'Intel Corporation', 'NASDAQ', 'Information Technology', 37, 0.5, 90, 'large'],
  ['CRM', 'Salesforce, Inc.', 'NYSE', 'Information Technology', 240, 0.33, 8, 'large'],
  ['ORCL', 'Oracle Corporation', 'NYSE', 'Information Technology', 220, 0.42, 25, 'large'],
  ['ADBE', 'Adobe Inc.', 'NASDAQ', 'Information Technology', 330, 0.33, 4, 'large'],
  ['BAC', 'Bank of America Corporation', 'NYSE', 'Financials', 52, 0.26, 38, 'mega'],
  ['WFC', 'Wells Fargo & Company', 'NYSE', 'Financials', 85, 0.28, 17, 'large'],
  ['GS', 'The Goldman Sachs Group, Inc.', 'NYSE', 'Financials', 780, 0.3, 2, 'large'],
  ['MS', 'Morgan Stanley', 'NYSE', 'Financials', 160, 0.3, 7, 'large'],
  ['CVX', 'Chevron Corporation', 'NYSE', 'Energy', 150, 0.24, 8, 'large'],
  ['PFE', 'Pfizer Inc.', 'NYSE', 'Health Care', 25, 0.24, 40, 'large'],
  ['MRK', 'Merck & Co., Inc.', 'NYSE', 'Health Care', 90, 0.25, 12, 'large'],
  ['ABBV', 'AbbVie Inc.', 'NYSE', 'Health Care', 220, 0.25, 6, 'large'],
  ['LLY', 'Eli Lilly and Company', 'NYSE', 'Health Care', 950, 0.34, 4, 'large'],
  ['T', 'AT&T Inc.', 'NYSE', 'Communication Services', 25, 0.2, 35, 'large'],
  ['VZ', 'Verizon Communications Inc.', 'NYSE', 'Communication Services', 40, 0.19, 20, 'large'],
  ['CSCO', 'Cisco Systems, Inc.', 'NASDAQ', 'Information Technology', 70, 0.22, 20, 'large'],
  ['QCOM', 'QUALCOMM Incorporated', 'NASDAQ', 'Information Technology', 170, 0.36, 8, 'large'],
  ['TXN', 'Texas Instruments Incorporated', 'NASDAQ', 'Information Technology', 165, 0.3, 7, 'large'],
  ['AVGO', 'Broadcom Inc.', 'NASDAQ', 'Information Technology', 350, 0.45, 25, 'mega'],
  ['NKE', 'NIKE, Inc. Class B', 'NYSE', 'Consumer Discretionary', 65, 0.35, 14, 'large'],
  ['MCD', "McDonald's Corporation", 'NYSE', 'Consumer Discretionary', 300, 0.17, 4, 'large'],
  ['SBUX', 'Starbucks Corporation', 'NASDAQ', 'Consumer Discretionary', 85, 0.3, 10, 'large'],
  ['BA', 'The Boeing Company', 'NYSE', 'Industrials', 200, 0.35, 9, 'large'],
  ['CAT', 'Caterpillar Inc.', 'NYSE', 'Industrials', 550, 0.3, 3, 'large'],
  ['GE', 'GE Aerospace', 'NYSE', 'Industrials', 300, 0.3, 5, 'large'],
  ['F', 'Ford Motor Company', 'NYSE', 'Consumer Discretionary', 13, 0.35, 60, 'large'],
  ['GM', 'General Motors Company', 'NYSE', 'Consumer Discretionary', 70, 0.33, 10, 'large'],
  ['UBER', 'Uber Technologies, Inc.', 'NYSE', 'Industrials', 90, 0.4, 18, 'large'],
  ['PYPL', 'PayPal Holdings, Inc.', 'NASDAQ', 'Financials', 62, 0.38, 14, 'large'],
  ['SHOP', 'Shopify Inc. Class A', 'NASDAQ', 'Information Technology', 150, 0.55, 10, 'large'],
  ['PLTR', 'Palantir Technologies Inc. Class A', 'NASDAQ', 'Information Technology', 180, 0.65, 60, 'large'],
  ['COIN', 'Coinbase Global, Inc. Class A', 'NASDAQ', 'Financials', 280, 0.75, 10, 'mid'],
  ['IBM', 'International Business Machines Corporation', 'NYSE', 'Information Technology', 300, 0.25, 4, 'large'],
  ['AMGN', 'Amgen Inc.', 'NASDAQ', 'Health Care', 300, 0.24, 3, 'large'],
  ['HON', 'Honeywell International Inc.', 'NASDAQ', 'Industrials', 200, 0.22, 4, 'large'],
  ['CMCSA', 'Comcast Corporation Class A', 'NASDAQ', 'Communication Services', 28, 0.27, 22, 'large'],
  ['SOFI', 'SoFi Technologies, Inc.', 'NASDAQ', 'Financials', 27, 0.65, 55, 'mid'],
  ['RIVN', 'Rivian Automotive, Inc. Class A', 'NASDAQ', 'Consumer Discretionary', 15, 0.7, 35, 'mid'],
  ['SNAP', 'Snap Inc. Class A', 'NYSE', 'Communication Services', 8, 0.65, 30, 'mid'],
  ['SPY', 'SPDR S&P 500 ETF Trust', 'ARCA', 'ETF', 670, 0.16, 70, 'etf'],
  ['QQQ', 'Invesco QQQ Trust, Series 1', 'NASDAQ', 'ETF', 600, 0.21, 45, 'etf'],
  ['IWM', 'iShares Russell 2000 ETF', 'ARCA', 'ETF', 240, 0.22, 30, 'etf'],
  ['DIA', 'SPDR Dow Jones Industrial Average ETF Trust', 'ARCA', 'ETF', 465, 0.15, 4, 'etf'],
  ['VTI', 'Vanguard Total Stock Market ETF', 'ARCA', 'ETF', 330, 0.16, 4, 'etf'],
  ['GLD', 'SPDR Gold Shares', 'ARCA', 'ETF', 380, 0.16, 10, 'etf'],
  ['TLT', 'iShares 20+ Year Treasury Bond ETF', 'NASDAQ', 'ETF', 89, 0.15, 35, 'etf'],
  ['XLF', 'Financial Select Sector SPDR Fund', 'ARCA', 'ETF', 52, 0.19, 40, 'etf'],
  ['XLE', 'Energy Select Sector SPDR Fund', 'ARCA', 'ETF', 88, 0.24, 15, 'etf'],
  ['XLK', 'Technology Select Sector SPDR Fund', 'ARCA', 'ETF', 280, 0.24, 7, 'etf'],
  ['ARKK', 'ARK Innovation ETF', 'ARCA', 'ETF', 75, 0.45, 12, 'etf'],
  ['PNYX', 'Pennyworth Exploration Corp. (fictional)', 'NASDAQ', 'Materials', 0.42, 0.8, 25, 'penny'],
  ['SUBD', 'Subdollar Therapeutics Inc. (fictional)', 'NASDAQ', 'Health Care', 0.087, 0.9, 60, 'penny'],
];

/** Per-tier defaults. */
const TIERS: Record<
  LiquidityTier,
  { spreadBps: number; maxLots: number; marketLoading: number; tradeSize: number }
> = {
  etf: { spreadBps: 0.8, maxLots: 40, marketLoading: 0.85, tradeSize: 150 },
  mega: { spreadBps: 1.5, maxLots: 20, marketLoading: 0.6, tradeSize: 110 },
  large: { spreadBps: 4, maxLots: 10, marketLoading: 0.55, tradeSize: 90 },
  mid: { spreadBps: 12, maxLots: 6, marketLoading: 0.45, tradeSize: 120 },
  penny: { spreadBps: 150, maxLots: 60, marketLoading: 0.15, tradeSize: 4_000 },
};

/** Funds whose prices move against or apart from equities. */
const LOADING_OVERRIDES: Readonly<Record<string, number>> = { GLD: 0.1, TLT: -0.3 };

function instrument(row: Row): SimulatedInstrument {
  const [symbol, name, exchange, sector, price, volatility, advMillions, tier] = row;
  const defaults = TIERS[tier];
  const penny = tier === 'penny';
  return {
    symbol,
    name,
    exchange,
    sector,
    class: 'us_equity',
    tradable: true,
    shortable: !penny,
    easyToBorrow: !penny && tier !== 'mid',
    fractionable: !penny,
    simulated: true,
    referencePrice: price,
    volatility,
    averageDailyVolume: Math.round(advMillions * 1_000_000),
    tier,
    spreadBps: defaults.spreadBps,
    maxLots: defaults.maxLots,
    marketLoading: LOADING_OVERRIDES[symbol] ?? defaults.marketLoading,
    averageTradeSize: defaults.tradeSize,
  };
}

/** The default simulated universe, sorted by symbol. */
export const DEFAULT_UNIVERSE: readonly SimulatedInstrument[] = ROWS.map(instrument).sort((a, b) =>
  a.symbol.localeCompare(b.symbol),
);

/** The plain listing of an instrument (what `assets()` returns), without model parameters. */
export function toAsset(i: SimulatedInstrument): Asset {
  return {
    symbol: i.symbol,
    name: i.name,
    exchange: i.exchange,
    sector: i.sector,
    class: i.class,
    tradable: i.tradable,
    shortable: i.shortable,
    easyToBorrow: i.easyToBorrow,
    fractionable: i.fractionable,
    simulated: i.simulated,
  };
}

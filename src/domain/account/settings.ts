import { DEFAULT_FILL_MODEL, type FillModel } from '../fill-model.ts';
import type { DecimalString } from '../money.ts';

/** Which price a stop compares against: the last trade, or the touch the order would meet. */
export type StopTriggerSource = 'last' | 'bid_ask';

/**
 * Per-account trading configuration, fixed by `AccountOpened` and changed only by
 * `AccountSettingsUpdated`, so every decision is re-derivable from the stream.
 */
export interface AccountSettings {
  /** `cash`: no leverage, no shorting. `margin`: Reg-T style, `marginMultiplier` × equity. */
  readonly accountType: 'cash' | 'margin';
  /** Buying-power multiplier for margin accounts (Reg-T overnight = 2). Ignored for cash accounts. */
  readonly marginMultiplier: DecimalString;
  /** Margin accounts only; shorts also need an easy-to-borrow symbol. */
  readonly shortingEnabled: boolean;
  /** Fractional quantities for market day orders on fractionable assets. */
  readonly fractionalTrading: boolean;
  /**
   * Extra fraction over the ask a market (or stop) buy reserves, because it will fill at
   * whatever the ask is then: 0.02 reserves 2 % more than the current ask.
   */
  readonly marketOrderBuffer: DecimalString;
  readonly stopTriggerSource: StopTriggerSource;
  readonly fillModel: FillModel;
  readonly limits: RiskLimits;
  /**
   * Options trading level, like a broker's approval: 1 covered calls and cash-secured puts,
   * 2 also long calls and puts and defined-risk spreads, 3 also uncovered (naked) calls.
   * Absent on accounts opened before options existed: read it with {@link optionsLevelOf}.
   */
  readonly optionsLevel?: OptionsLevel;
}

/** Options trading levels (see `AccountSettings.optionsLevel`). */
export type OptionsLevel = 1 | 2 | 3;

/** The level of new accounts: defined-risk options trading. */
export const DEFAULT_OPTIONS_LEVEL: OptionsLevel = 2;

/** An account's options level (the default for accounts that never set one). */
export function optionsLevelOf(settings: AccountSettings): OptionsLevel {
  return settings.optionsLevel ?? DEFAULT_OPTIONS_LEVEL;
}

/** Optional per-account limits; `null` = no limit. Quantities are absolute, exposures at cost. */
export interface RiskLimits {
  /** Largest absolute position per symbol after the order, counting the order in full. */
  readonly maxPositionQty: DecimalString | null;
  /** Largest estimated value of one order. */
  readonly maxOrderNotional: DecimalString | null;
  /** Largest sum of |cost basis| over all positions plus the order's value. */
  readonly maxGrossExposure: DecimalString | null;
  // Risk limits on marks (risk-limits.ts): positions are valued at the marks the command
  // carries (`MarketContext.marks`), at cost where none is given.
  /** Largest |position value| after the order, in percent of equity (`"25"` = 25 %). */
  readonly maxPositionPercent: DecimalString | null;
  /** Largest |Σ signed position value| (long − short) after the order. */
  readonly maxNetExposure: DecimalString | null;
  /**
   * Largest loss of the trading day (dollars, positive): once the day's P&L reaches minus this,
   * opening orders are rejected for the rest of the New York trading day.
   */
  readonly maxDailyLoss: DecimalString | null;
  /**
   * FINRA's pattern-day-trader rule as brokers enforce it: a margin account with less than
   * $25,000 equity may not make a 4th day trade within five sessions.
   */
  readonly patternDayTraderRule: boolean;
}

/** Settings of a new account unless the opener says otherwise (an Alpaca-like cash account). */
export const DEFAULT_SETTINGS: AccountSettings = {
  accountType: 'cash',
  marginMultiplier: '2',
  shortingEnabled: true,
  fractionalTrading: true,
  marketOrderBuffer: '0.02',
  stopTriggerSource: 'last',
  fillModel: DEFAULT_FILL_MODEL,
  limits: {
    maxPositionQty: null,
    maxOrderNotional: null,
    maxGrossExposure: null,
    maxPositionPercent: null,
    maxNetExposure: null,
    maxDailyLoss: null,
    patternDayTraderRule: false,
  },
  optionsLevel: DEFAULT_OPTIONS_LEVEL,
};

/** A partial settings object as commands carry it; nested objects are replaced wholesale. */
export type SettingsPatch = Partial<Omit<AccountSettings, 'fillModel' | 'limits'>> & {
  readonly fillModel?: Partial<FillModel>;
  readonly limits?: Partial<RiskLimits>;
};

/** Applies a patch on top of settings. */
export function mergeSettings(
  base: AccountSettings,
  patch: SettingsPatch | undefined,
): AccountSettings {
  if (patch === undefined) return base;
  return {
    ...base,
    ...patch,
    fillModel: { ...base.fillModel, ...patch.fillModel },
    limits: { ...base.limits, ...patch.limits },
  };
}

/**
 * Settings as recorded by an event, completed with today's defaults: events written before a
 * setting existed lack it, and folding them must still give complete settings.
 */
export function completeSettings(recorded: AccountSettings): AccountSettings {
  return mergeSettings(DEFAULT_SETTINGS, recorded);
}

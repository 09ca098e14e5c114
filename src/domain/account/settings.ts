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
}

/** Optional per-account limits; `null` = no limit. Quantities are absolute, exposures at cost. */
export interface RiskLimits {
  /** Largest absolute position per symbol after the order, counting the order in full. */
  readonly maxPositionQty: DecimalString | null;
  /** Largest estimated value of one order. */
  readonly maxOrderNotional: DecimalString | null;
  /** Largest sum of |cost basis| over all positions plus the order's value. */
  readonly maxGrossExposure: DecimalString | null;
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
  limits: { maxPositionQty: null, maxOrderNotional: null, maxGrossExposure: null },
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

/**
 * Query strings as the Alpaca SDKs write them: lists as CSV (`symbols=AAPL,MSFT`, 4.x), as
 * repeated keys (`asset_class=a&asset_class=b`) or as `symbols[]=AAPL&symbols[]=MSFT` (3.x,
 * axios), dates as `YYYY-MM-DD` or full ISO timestamps with milliseconds.
 */
import { z } from 'zod';

type Query = Record<string, unknown>;

function strings(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.filter((v): v is string => typeof v === 'string');
  return [];
}

/**
 * The list parameter `name` in any of the three spellings, split, trimmed, deduplicated, and
 * the query without it (so a strict schema can check the rest). Undefined when absent.
 */
export function takeList(
  query: Query,
  name: string,
  transform: (item: string) => string = (s) => s,
): { readonly list: string[] | undefined; readonly rest: Query } {
  const keys = [name, `${name}[]`];
  const rest: Query = Object.fromEntries(Object.entries(query).filter(([k]) => !keys.includes(k)));
  const raw = keys.flatMap((k) => strings(query[k]));
  const present = keys.some((k) => k in query);
  if (!present) return { list: undefined, rest };
  const list = [
    ...new Set(
      raw
        .flatMap((v) => v.split(','))
        .map((v) => transform(v.trim()))
        .filter((v) => v.length > 0),
    ),
  ];
  return { list, rest };
}

/** An RFC 3339 date-time (any offset, milliseconds allowed) or a date `YYYY-MM-DD`. */
export const instantParam = z.iso
  .datetime({ offset: true })
  .or(z.iso.date())
  .meta({ description: 'RFC 3339 date-time or YYYY-MM-DD' });

/** `true` / `false` as query text (3.x sends booleans that way too). */
export const booleanParam = z.enum(['true', 'false']).transform((v) => v === 'true');

/** The civil date a date parameter names: its first ten characters, as the client wrote it. */
export function civilDateOf(value: string): string {
  return value.slice(0, 10);
}

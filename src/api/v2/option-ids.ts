/**
 * Option symbols and contract ids as Alpaca writes them. Alpaca's option symbols are compact
 * OCC (`AAPL250117C00150000`, no padding) and its contract ids are UUIDs. Ours are padded OCC,
 * so `/v2` answers the compact form and reads either. A contract id here is the contract
 * itself, packed into a UUID (version 8, "custom"), so `GET /v2/options/contracts/{id}` and
 * `POST /v2/positions/{id}/exercise` resolve it without a lookup table and every process gives
 * a contract the same id.
 */
import { canonicalOcc, formatOcc, parseOcc } from '../../domain/options/contract.ts';

/** The compact OCC form of an option symbol; any other symbol unchanged. */
export function wireSymbol(symbol: string): string {
  const contract = parseOcc(symbol);
  return contract === undefined
    ? symbol
    : formatOcc(
        {
          root: contract.root,
          expiration: contract.expiration,
          right: contract.right,
          strike: contract.strike,
        },
        'compact',
      );
}

/** Our (padded) OCC symbol of what a client wrote, padded or compact; undefined otherwise. */
export function occOf(input: string): string | undefined {
  return canonicalOcc(input);
}

/** Characters of an OCC root: the pad, A–Z, 0–9 and `.` (base 38, six of them fit 32 bits). */
const ROOT_ALPHABET = ' ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.';
/** Marks the payload as an option contract (hex for "OCC code"). */
const MARKER = '0ccc0de';

/** The UUID of an option contract (its padded OCC symbol). */
export function optionContractId(occ: string): string {
  const contract = parseOcc(occ);
  if (contract === undefined) throw new Error(`not an OCC symbol: ${occ}`);
  const padded = contract.symbol;
  let root = 0;
  for (const ch of padded.slice(0, 6)) root = root * 38 + ROOT_ALPHABET.indexOf(ch);
  const date = padded.slice(6, 12);
  const right = padded.charAt(12) === 'C' ? '1' : '2';
  const strike = padded.slice(13, 21);
  const hex = `${MARKER}${root.toString(16).padStart(8, '0')}${date}${right}${strike}`;
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(12, 15)}-8${hex.slice(15, 18)}-${hex.slice(18, 30)}`;
}

/** The padded OCC symbol an id of {@link optionContractId} names; undefined for any other id. */
export function occOfContractId(id: string): string | undefined {
  const m = /^([0-9a-f]{8})-([0-9a-f]{4})-8([0-9a-f]{3})-8([0-9a-f]{3})-([0-9a-f]{12})$/.exec(
    id.toLowerCase(),
  );
  if (m === null) return undefined;
  const hex = m.slice(1).join('');
  if (!hex.startsWith(MARKER)) return undefined;
  let root = Number.parseInt(hex.slice(7, 15), 16);
  let rootText = '';
  for (let i = 0; i < 6; i += 1) {
    rootText = (ROOT_ALPHABET[root % 38] ?? '?') + rootText;
    root = Math.floor(root / 38);
  }
  if (root !== 0) return undefined;
  const date = hex.slice(15, 21);
  const right = hex.charAt(21) === '1' ? 'C' : hex.charAt(21) === '2' ? 'P' : '?';
  const strike = hex.slice(22, 30);
  const contract = parseOcc(`${rootText}${date}${right}${strike}`);
  return contract?.symbol;
}

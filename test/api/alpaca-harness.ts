/**
 * The composed server on a real port with a user, an account and an API key bound to it, as
 * an Alpaca bot meets it: for the `/v2` tests with the official SDKs (3.x and 4.x).
 */
import { startApiServer, type ApiServer } from '../support/api.ts';
import { call, newUser, openAccount, type TestUser } from '../support/api-client.ts';
import type { MarketData } from '../../src/market/port.ts';

export interface AlpacaKey {
  readonly keyId: string;
  readonly secret: string;
  /** The bearer form. */
  readonly key: string;
}

export interface AlpacaTrader {
  readonly user: TestUser;
  readonly accountId: string;
  readonly key: AlpacaKey;
}

/** Creates an API key of `user` through `POST /me/api-keys`. */
export async function alpacaKey(
  server: ApiServer,
  user: TestUser,
  options: { scopes?: readonly ('read' | 'trade')[]; accountId?: string } = {},
): Promise<AlpacaKey> {
  const res = await call(server, 'POST', '/me/api-keys', {
    token: user.token,
    body: {
      name: 'alpaca bot',
      scopes: options.scopes ?? ['trade'],
      ...(options.accountId === undefined ? {} : { account_id: options.accountId }),
    },
  });
  if (res.status !== 201) throw new Error(`api key: ${res.status} ${JSON.stringify(res.body)}`);
  return {
    keyId: String(res.body.key_id),
    secret: String(res.body.secret),
    key: String(res.body.key),
  };
}

/** A trader with a funded account and a `trade` key bound to it. */
export async function alpacaTrader(server: ApiServer, cash = '100000'): Promise<AlpacaTrader> {
  const user = await newUser(server, ['trader'], 'alpaca');
  const { id } = await openAccount(server, user, cash);
  return { user, accountId: id, key: await alpacaKey(server, user, { accountId: id }) };
}

export async function startAlpacaServer(market?: MarketData): Promise<ApiServer> {
  return startApiServer(market === undefined ? {} : { market });
}

/** A raw `/v2` call with the Alpaca headers. */
export async function v2(
  server: ApiServer,
  method: string,
  path: string,
  key: AlpacaKey | undefined,
  body?: unknown,
): Promise<{ status: number; body: unknown; type: string; text: string }> {
  const res = await fetch(`${server.origin}${path}`, {
    method,
    redirect: 'manual',
    headers: {
      ...(key === undefined
        ? {}
        : { 'APCA-API-KEY-ID': key.keyId, 'APCA-API-SECRET-KEY': key.secret }),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
  const text = await res.text();
  let parsed: unknown;
  try {
    parsed = text === '' ? undefined : JSON.parse(text);
  } catch {
    // Not JSON: `text` has it.
  }
  return {
    status: res.status,
    body: parsed,
    text,
    type: (res.headers.get('content-type') ?? '').split(';')[0] ?? '',
  };
}

/**
 * A small HTTP client for API tests: JSON in, JSON (or problem+json) out, bearer tokens, and
 * users with any role set registered through the real routes.
 */
import { expect } from 'chai';
import type { z } from 'zod';
import { ProblemSchema } from '../../src/api/openapi.ts';
import { SYSTEM_PRINCIPAL } from '../../src/commands/policy.ts';
import type { Role } from '../../src/domain/user/roles.ts';
import type { ApiServer } from './api.ts';

export interface Reply<T = Record<string, unknown>> {
  readonly status: number;
  readonly headers: Headers;
  readonly body: T;
  /** `Content-Type` without parameters. */
  readonly type: string;
}

export interface CallOptions {
  readonly token?: string;
  readonly headers?: Readonly<Record<string, string>>;
  /** Sent as is (a string is not JSON-encoded again). */
  readonly body?: unknown;
}

/** One request; `path` is relative to `/api/v1` unless it starts with `http`. */
export async function call<T = Record<string, unknown>>(
  server: Pick<ApiServer, 'api'>,
  method: string,
  path: string,
  options: CallOptions = {},
): Promise<Reply<T>> {
  const url = path.startsWith('http') ? path : `${server.api}${path}`;
  const res = await fetch(url, {
    method,
    headers: {
      ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
      ...(options.token === undefined ? {} : { authorization: `Bearer ${options.token}` }),
      ...options.headers,
    },
    ...(options.body === undefined
      ? {}
      : {
          body: typeof options.body === 'string' ? options.body : JSON.stringify(options.body),
        }),
  });
  const text = await res.text();
  return {
    status: res.status,
    headers: res.headers,
    body: (text ? JSON.parse(text) : {}) as T,
    type: (res.headers.get('content-type') ?? '').split(';')[0] ?? '',
  };
}

export const PASSWORD = 'correct horse battery staple';

export interface TestUser {
  readonly userId: string;
  readonly email: string;
  readonly token: string;
}

let counter = 0;

/** Registers a user through `POST /auth/register` and gives it exactly `roles`. */
export async function newUser(
  server: ApiServer,
  roles: readonly Role[] = ['trader'],
  label = 'user',
): Promise<TestUser> {
  counter += 1;
  const email = `${label}-${process.pid}-${counter}-${Date.now()}@example.com`;
  const res = await call(server, 'POST', '/auth/register', {
    body: { email, password: PASSWORD },
  });
  if (res.status !== 201) throw new Error(`register: ${res.status} ${JSON.stringify(res.body)}`);
  const userId = String(res.body.user_id);
  const users = server.composition.parts.security.users;
  const context = { source: 'test' as const, correlationId: `test-${counter}` };
  for (const role of roles) {
    if (role !== 'trader') await users.grantRole(SYSTEM_PRINCIPAL, userId, role, context);
  }
  if (!roles.includes('trader')) {
    await users.revokeRole(SYSTEM_PRINCIPAL, userId, 'trader', context);
  }
  return { userId, email, token: String(res.body.access_token) };
}

/** An API key of `user` with `scopes`. */
export async function apiKey(
  server: ApiServer,
  user: TestUser,
  scopes: readonly ('read' | 'trade')[],
): Promise<string> {
  const res = await call(server, 'POST', '/me/api-keys', {
    token: user.token,
    body: { name: 'test key', scopes },
  });
  if (res.status !== 201) throw new Error(`api key: ${res.status} ${JSON.stringify(res.body)}`);
  return String(res.body.key);
}

/** Opens an account for `user` through the API and answers its id. */
export async function openAccount(
  server: ApiServer,
  user: TestUser,
  initialCash = '100000',
  name = 'Main',
): Promise<{ id: string; position: number }> {
  const res = await call(server, 'POST', '/accounts', {
    token: user.token,
    body: { name, initial_cash: initialCash },
  });
  if (res.status !== 201)
    throw new Error(`open account: ${res.status} ${JSON.stringify(res.body)}`);
  return { id: String(res.body.id), position: Number(res.headers.get('x-event-position')) };
}

/** The body matches the documented schema (the OpenAPI document says what the server sends). */
export function conforms(schema: z.ZodType, reply: Reply): void {
  const parsed = schema.safeParse(reply.body);
  expect(parsed.success, JSON.stringify(parsed.error?.issues ?? [])).to.equal(true);
}

/** A problem+json answer with this status and code (and field, when given). */
export function problem(reply: Reply, status: number, code: string, field?: string): void {
  expect(reply.status, JSON.stringify(reply.body)).to.equal(status);
  expect(reply.type).to.equal('application/problem+json');
  conforms(ProblemSchema, reply);
  expect(reply.body.code, JSON.stringify(reply.body)).to.equal(code);
  if (field !== undefined) {
    const errors = (reply.body.errors ?? []) as { field: string }[];
    expect(
      errors.map((e) => e.field),
      JSON.stringify(reply.body),
    ).to.include(field);
  }
}

/** The `X-Event-Position` of a write (which must have one). */
export function eventPosition(reply: Reply): number {
  const header = reply.headers.get('x-event-position');
  expect(header, 'X-Event-Position').to.match(/^\d+$/);
  return Number(header);
}

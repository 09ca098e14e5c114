import { sql, type ColumnType, type Kysely, type Transaction } from 'kysely';
import type { RecordedEvent } from '../eventstore/port.ts';
import type { UserEvent } from '../domain/user/events.ts';
import { USER_EVENT_TYPES } from '../domain/user/events.ts';
import type { ApiKeyScope, Role } from '../domain/user/roles.ts';
import type { Projection } from './runner.ts';
import { withTenant, type ReadAccess } from './tenancy.ts';

type Timestamp = ColumnType<Date, Date | string, Date | string>;
type NullableTimestamp = ColumnType<Date | null, Date | string | null, Date | string | null>;
type Json<T> = ColumnType<T, string, string>;

// Type aliases: kysely's table maps need an implicit index signature.
export type UsersTables = {
  /** One row per user; `owner_id` is the user itself (a user is its own tenant). */
  users: {
    user_id: string;
    owner_id: string;
    email: string;
    display_name: string;
    roles: Json<Role[]>;
    created_at: Timestamp;
    updated_at: Timestamp;
    last_login_at: NullableTimestamp;
  };
  /** API keys without their secrets. `last_used_at` is written by the API, not the projection. */
  api_keys: {
    key_id: string;
    owner_id: string;
    name: string;
    scopes: Json<ApiKeyScope[]>;
    created_at: Timestamp;
    revoked_at: NullableTimestamp;
    last_used_at: NullableTimestamp;
  };
};

function userIdOf(streamId: string): string {
  return streamId.slice('user-'.length);
}

/** The `users` and `api_keys` read models, from `user-*` streams. */
export function usersProjection<DB extends UsersTables>(): Projection<DB> {
  return {
    name: 'users',
    filter: { streamPrefixes: ['user-'], eventTypes: USER_EVENT_TYPES },
    async apply(trx, events) {
      const db = trx as unknown as Transaction<UsersTables>;
      for (const recorded of events) await applyOne(db, recorded);
    },
    async reset(trx) {
      const db = trx as unknown as Transaction<UsersTables>;
      await db.deleteFrom('api_keys').execute();
      await db.deleteFrom('users').execute();
    },
  };
}

async function applyOne(db: Transaction<UsersTables>, recorded: RecordedEvent): Promise<void> {
  const userId = userIdOf(recorded.streamId);
  const event = { type: recorded.type, data: recorded.data } as UserEvent;
  const at = 'at' in event.data ? event.data.at : recorded.recordedAt.toISOString();
  switch (event.type) {
    case 'UserRegistered':
      await db
        .insertInto('users')
        .values({
          user_id: userId,
          owner_id: userId,
          email: event.data.email,
          display_name: event.data.displayName,
          roles: JSON.stringify(event.data.roles),
          created_at: at,
          updated_at: at,
          last_login_at: null,
        })
        .onConflict((oc) => oc.column('user_id').doNothing())
        .execute();
      return;
    case 'ProfileUpdated':
      await db
        .updateTable('users')
        .set({ display_name: event.data.displayName, updated_at: at })
        .where('user_id', '=', userId)
        .execute();
      return;
    case 'RoleGranted':
      await db
        .updateTable('users')
        .set({
          roles: sql`CASE WHEN roles ? ${event.data.role} THEN roles ELSE roles || to_jsonb(${event.data.role}::text) END`,
          updated_at: at,
        })
        .where('user_id', '=', userId)
        .execute();
      return;
    case 'RoleRevoked':
      await db
        .updateTable('users')
        .set({ roles: sql`roles - ${event.data.role}::text`, updated_at: at })
        .where('user_id', '=', userId)
        .execute();
      return;
    case 'LoginSucceeded':
      await db
        .updateTable('users')
        .set({ last_login_at: at })
        .where('user_id', '=', userId)
        .execute();
      return;
    case 'ApiKeyCreated':
      await db
        .insertInto('api_keys')
        .values({
          key_id: event.data.keyId,
          owner_id: userId,
          name: event.data.name,
          scopes: JSON.stringify(event.data.scopes),
          created_at: at,
          revoked_at: null,
          last_used_at: null,
        })
        .onConflict((oc) => oc.column('key_id').doNothing())
        .execute();
      return;
    case 'ApiKeyRevoked':
      await db
        .updateTable('api_keys')
        .set({ revoked_at: at })
        .where('key_id', '=', event.data.keyId)
        .where('owner_id', '=', userId)
        .execute();
      return;
    default:
      return;
  }
}

export interface UserRow {
  readonly userId: string;
  readonly email: string;
  readonly displayName: string;
  readonly roles: readonly Role[];
  readonly createdAt: Date;
  readonly lastLoginAt: Date | null;
}

export interface ApiKeyRow {
  readonly keyId: string;
  readonly name: string;
  readonly scopes: readonly ApiKeyScope[];
  readonly createdAt: Date;
  readonly revokedAt: Date | null;
  readonly lastUsedAt: Date | null;
}

/** Queries of the users read models; every one runs through `withTenant`. */
export class UserQueries {
  constructor(private readonly db: Kysely<UsersTables>) {}

  /** Users visible to `access`, by e-mail (a tenant sees itself; readers see all). */
  listUsers(access: ReadAccess, options: { limit?: number } = {}): Promise<UserRow[]> {
    return withTenant(this.db, access, async (trx) => {
      const rows = await trx
        .selectFrom('users')
        .selectAll()
        .orderBy('email')
        .limit(options.limit ?? 1000)
        .execute();
      return rows.map((r) => ({
        userId: r.user_id,
        email: r.email,
        displayName: r.display_name,
        roles: r.roles,
        createdAt: r.created_at,
        lastLoginAt: r.last_login_at,
      }));
    });
  }

  listApiKeys(access: ReadAccess): Promise<ApiKeyRow[]> {
    return withTenant(this.db, access, async (trx) => {
      const rows = await trx.selectFrom('api_keys').selectAll().orderBy('created_at').execute();
      return rows.map((r) => ({
        keyId: r.key_id,
        name: r.name,
        scopes: r.scopes,
        createdAt: r.created_at,
        revokedAt: r.revoked_at,
        lastUsedAt: r.last_used_at,
      }));
    });
  }

  /** Stamps a key's last use, as its owner (the tenant policy allows only their own row). */
  async touchApiKey(userId: string, keyId: string, at: Date): Promise<void> {
    await withTenant(this.db, { tenant: userId }, (trx) =>
      trx.updateTable('api_keys').set({ last_used_at: at }).where('key_id', '=', keyId).execute(),
    );
  }
}

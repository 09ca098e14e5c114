import { randomBytes, randomUUID } from 'node:crypto';
import type { Command } from 'commander';
import { AccessTokens } from '../../auth/access-tokens.ts';
import { argon2Hasher } from '../../auth/passwords.ts';
import { resolveJwtSecret } from '../../auth/secret.ts';
import { AuditTrail } from '../../commands/audit-trail.ts';
import { withHashChain } from '../../eventstore/hash-chain.ts';
import { SYSTEM_PRINCIPAL } from '../../commands/policy.ts';
import { UserService, type CallContext } from '../../commands/users.ts';
import { isRole, ROLES, type Role } from '../../domain/user/roles.ts';
import { openStorage } from '../../eventstore/index.ts';
import { createReadSide } from '../../projections/index.ts';
import { UserQueries } from '../../projections/users.ts';
import type { CliDeps } from '../deps.ts';

function parseRole(value: string): Role {
  if (!isRole(value)) throw new Error(`unknown role "${value}"; roles: ${ROLES.join(', ')}`);
  return value;
}

function context(): CallContext {
  return { source: 'cli', correlationId: randomUUID() };
}

/**
 * `paper-trading users create|list|grant|revoke`: manage users from the machine running the
 * service (the CLI acts as the system admin, so the first admin is created here).
 * The password comes from `PAPER_TRADING_PASSWORD`; without it one is generated and printed once.
 */
export function register(program: Command, deps: CliDeps): void {
  const users = program.command('users').description('create users, list them, grant roles');

  users
    .command('create <email>')
    .description('register a user (roles default to trader); prints the user id')
    .option('-r, --role <role...>', `roles: ${ROLES.join(', ')}`)
    .option('-n, --name <displayName>', 'display name')
    .action(async (email: string, options: { role?: string[]; name?: string }) => {
      const roles = (options.role ?? ['trader']).map(parseRole);
      const given = deps.env.PAPER_TRADING_PASSWORD;
      const password = given && given.length > 0 ? given : randomBytes(18).toString('base64url');
      await withUsers(deps, async (service) => {
        const created = await service.register(
          { email, password, roles, ...(options.name ? { displayName: options.name } : {}) },
          { ...context(), actor: 'system', role: 'admin' },
        );
        deps.stdout.write(`created ${created.email} ${created.userId} roles ${roles.join(',')}\n`);
        if (!given) deps.stdout.write(`password (shown once): ${password}\n`);
      });
    });

  users
    .command('list')
    .description('list users (e-mail, id, roles)')
    .option('--json', 'print JSON')
    .action(async (options: { json?: boolean }) => {
      await withUsers(deps, async (_service, queries) => {
        const rows = await queries.listUsers({ reader: 'admin' });
        if (options.json) {
          deps.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
          return;
        }
        if (rows.length === 0) deps.stdout.write('no users\n');
        for (const r of rows) deps.stdout.write(`${r.email}\t${r.userId}\t${r.roles.join(',')}\n`);
      });
    });

  for (const verb of ['grant', 'revoke'] as const) {
    users
      .command(`${verb} <user> <role>`)
      .description(`${verb} a role; <user> is an e-mail address or a user id`)
      .action(async (user: string, roleName: string) => {
        const role = parseRole(roleName);
        await withUsers(deps, async (service) => {
          const userId = user.includes('@') ? await service.findUserIdByEmail(user) : user;
          if (userId === undefined) throw new Error(`no user ${user}`);
          if (verb === 'grant') await service.grantRole(SYSTEM_PRINCIPAL, userId, role, context());
          else await service.revokeRole(SYSTEM_PRINCIPAL, userId, role, context());
          deps.stdout.write(
            `${verb === 'grant' ? 'granted' : 'revoked'} ${role} ${verb === 'grant' ? 'to' : 'from'} ${user}\n`,
          );
        });
      });
  }
}

async function withUsers(
  deps: CliDeps,
  work: (service: UserService, queries: UserQueries) => Promise<void>,
): Promise<void> {
  const config = deps.config();
  const storage = await openStorage(config);
  try {
    const store = withHashChain(storage.eventStore);
    const service = new UserService({
      store,
      hasher: argon2Hasher(),
      tokens: new AccessTokens({ secrets: [resolveJwtSecret(config)] }),
      audit: new AuditTrail(store),
    });
    const { projections, readModels } = createReadSide(storage);
    // The read models are caught up before (for `list`) and after (for the API) the work.
    await projections.prepare();
    await projections.catchUp();
    await work(service, new UserQueries(readModels));
    await projections.catchUp();
  } finally {
    await storage.close();
  }
}

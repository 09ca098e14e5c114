/**
 * The user aggregate (stream `user-{id}`): registration, credentials, refresh-token families,
 * roles and API keys. Pure; see `src/commands/users.ts` for the service that hashes, reserves
 * e-mail addresses and appends.
 */
export * from './commands.ts';
export * from './errors.ts';
export * from './events.ts';
export * from './roles.ts';
export * from './rules.ts';
export * from './state.ts';
export { decide } from './decide.ts';
export { evolve, fold } from './evolve.ts';

/** The stream of one user. */
export function userStream(userId: string): string {
  return `user-${userId}`;
}

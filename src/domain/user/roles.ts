/**
 * Roles: traders trade their own accounts, viewers only read them, auditors read every stream
 * and the audit log (read-only), admins manage users. Grants are additive.
 */
export const ROLES = ['trader', 'viewer', 'auditor', 'admin'] as const;
export type Role = (typeof ROLES)[number];

/** What an API key may do: `read` (queries) and `trade` (commands on the owner's accounts). */
export const API_KEY_SCOPES = ['read', 'trade'] as const;
export type ApiKeyScope = (typeof API_KEY_SCOPES)[number];

export function isRole(value: string): value is Role {
  return (ROLES as readonly string[]).includes(value);
}

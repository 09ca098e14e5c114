import type { Express } from 'express';

/** One route an express application answers: `get /api/v1/accounts/{id}` (OpenAPI style). */
export interface MountedRoute {
  readonly method: string;
  readonly path: string;
}

interface LayerLike {
  readonly rawPath?: unknown;
  readonly route?: { readonly path: unknown; readonly methods: Readonly<Record<string, boolean>> };
  readonly handle?: { readonly stack?: readonly LayerLike[] };
}

function join(prefix: string, path: string): string {
  const joined = `${prefix}/${path}`.replace(/\/+/g, '/');
  return joined.length > 1 ? joined.replace(/\/$/, '') : joined;
}

function openApiStyle(path: string): string {
  return path.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
}

function walk(stack: readonly LayerLike[], prefix: string, out: MountedRoute[]): void {
  for (const layer of stack) {
    if (layer.route) {
      const paths = Array.isArray(layer.route.path) ? layer.route.path : [layer.route.path];
      for (const p of paths) {
        if (typeof p !== 'string') continue;
        for (const [method, on] of Object.entries(layer.route.methods)) {
          if (on && method !== '_all') {
            out.push({ method, path: openApiStyle(join(prefix, p)) });
          }
        }
      }
    } else if (layer.handle?.stack) {
      const raw = typeof layer.rawPath === 'string' ? layer.rawPath : '/';
      walk(layer.handle.stack, join(prefix, raw), out);
    }
  }
}

/** Every method + path an express 5 application routes (middleware-only mounts excluded). */
export function mountedRoutes(app: Express): MountedRoute[] {
  const router = (app as unknown as { router: { stack: readonly LayerLike[] } }).router;
  const out: MountedRoute[] = [];
  walk(router.stack, '', out);
  const seen = new Set<string>();
  return out.filter((r) => {
    const key = `${r.method} ${r.path}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

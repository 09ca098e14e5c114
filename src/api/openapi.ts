/**
 * The OpenAPI 3.1 description of the HTTP API, generated from the same zod schemas the routes
 * validate with (`@asteasolutions/zod-to-openapi`). Every route module documents its operations
 * here with {@link documentOperation}, next to the handler:
 *
 * ```ts
 * documentOperation({
 *   method: 'get',
 *   path: '/api/v1/market/clock',
 *   tags: ['Market'],
 *   summary: 'Market clock',
 *   description: 'The simulated (or real) market time and whether the market is open.',
 *   responses: { 200: { description: 'The clock', schema: Clock, example: {...} } },
 *   errors: { 503: ['market_unavailable'] },
 * });
 * ```
 *
 * Errors are `application/problem+json` ({@link ProblemSchema}); each documented status lists
 * the stable `code`s it can carry. Authenticated operations (the default) get the bearer
 * security requirement and the 401/429 problems automatically, and every operation gets 500.
 * `GET /api/v1/openapi.json` serves {@link openApiDocument}; Swagger UI at `/docs`
 * ({@link docsRouter}) renders it from local assets (no CDN).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import {
  extendZodWithOpenApi,
  OpenAPIRegistry,
  OpenApiGeneratorV31,
  type ResponseConfig,
  type RouteConfig,
} from '@asteasolutions/zod-to-openapi';
import express, { Router } from 'express';
import helmet from 'helmet';
import { getAbsoluteFSPath } from 'swagger-ui-dist';
import { z, type ZodObject, type ZodType } from 'zod';

extendZodWithOpenApi(z);

/** Where the versioned JSON API is mounted. */
export const API_PREFIX = '/api/v1';
/** Where Swagger UI is served. */
export const DOCS_PATH = '/docs';
/** Where the OpenAPI document is served. */
export const OPENAPI_PATH = `${API_PREFIX}/openapi.json`;

export type HttpMethod = 'get' | 'post' | 'put' | 'patch' | 'delete';

/** One invalid input field of a problem. */
export const FieldErrorSchema = z
  .object({
    field: z.string().meta({ description: 'Dotted path of the field (`take_profit.limit_price`)' }),
    message: z.string(),
  })
  .meta({ id: 'FieldError' });

/** RFC 9457 problem details with our stable `code` (see `problem.ts`). */
export const ProblemSchema = z
  .object({
    type: z.string().meta({ example: 'about:blank' }),
    title: z.string().meta({ example: 'Validation Failed' }),
    status: z.number().int().meta({ example: 422 }),
    code: z.string().meta({
      description: 'Stable, machine-readable, snake_case: clients branch on it',
      example: 'validation_failed',
    }),
    detail: z.string().optional(),
    instance: z.string().meta({ description: 'The request path', example: '/api/v1/accounts' }),
    request_id: z.string().optional().meta({ description: 'Quote it when reporting a problem' }),
    errors: z
      .array(FieldErrorSchema)
      .optional()
      .meta({ description: 'Validation failures, one per offending field' }),
  })
  .catchall(z.unknown())
  .meta({
    id: 'Problem',
    description:
      'An error (`application/problem+json`). Branch on `code`; `errors` names the offending fields.',
  });

/** Titles of the statuses an operation may document. */
const STATUS_TITLES: Readonly<Record<number, string>> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  409: 'Conflict',
  413: 'Payload Too Large',
  422: 'Validation Failed',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

/** A documented response of an operation. */
export interface ResponseDoc {
  readonly description: string;
  /** The body; absent for bodiless answers such as 204. */
  readonly schema?: ZodType;
  readonly example?: unknown;
  /** Default `application/json`. */
  readonly contentType?: string;
  /** Response headers by name. */
  readonly headers?: Readonly<Record<string, { readonly description: string }>>;
}

/** What a route module states about one operation. */
export interface OperationDoc {
  readonly method: HttpMethod;
  /** The path as served, OpenAPI style: `/api/v1/accounts/{id}` (not `:id`). */
  readonly path: string;
  readonly tags: readonly string[];
  /** One line. */
  readonly summary: string;
  /** What it does, who may call it, and what its answers mean. */
  readonly description: string;
  readonly operationId?: string;
  /** `bearer` (default): needs an access token or API key; `none`: public. */
  readonly security?: 'bearer' | 'none';
  readonly request?: {
    readonly params?: ZodObject;
    readonly query?: ZodObject;
    readonly headers?: ZodObject;
    readonly body?: {
      readonly schema: ZodType;
      readonly description?: string;
      readonly example?: unknown;
      /** Named examples (`{ market: { summary, value } }`). */
      readonly examples?: Readonly<
        Record<string, { readonly summary: string; readonly value: unknown }>
      >;
      readonly contentType?: string;
    };
  };
  /** Success responses by status. */
  readonly responses: Readonly<Record<number, ResponseDoc>>;
  /** Problem responses by status, each with the `code`s it can carry. */
  readonly errors?: Readonly<Partial<Record<number, readonly string[]>>>;
  /**
   * `write`: answers `X-Event-Position`. `read`: honours `X-Min-Position` (and may answer 503
   * `projection_lag`).
   */
  readonly consistency?: 'write' | 'read';
}

const operations = new Map<string, OperationDoc>();
let cached: { readonly version: number; readonly document: unknown } | undefined;
let version = 0;

/**
 * Adds (or replaces) the description of one operation. Call it where the route is defined;
 * registering the same method and path again replaces the earlier description.
 */
export function documentOperation(doc: OperationDoc): void {
  if (!doc.path.startsWith('/')) throw new Error(`OpenAPI path must start with /: ${doc.path}`);
  if (doc.path.includes(':')) {
    throw new Error(`OpenAPI paths use {param}, not :param: ${doc.path}`);
  }
  operations.set(`${doc.method} ${doc.path}`, doc);
  version += 1;
}

/** Every documented operation (`get /api/v1/health`…), for tests and tools. */
export function documentedOperations(): readonly OperationDoc[] {
  return [...operations.values()];
}

/** The header a write answers with and a read may send. */
export const EVENT_POSITION_HEADER = 'X-Event-Position';
export const MIN_POSITION_HEADER = 'X-Min-Position';

const minPositionHeaders = z.object({
  'x-min-position': z
    .string()
    .regex(/^\d{1,19}$/)
    .optional()
    .meta({
      description:
        'Read-your-writes: wait (bounded by `READ_WAIT_MS`) until the read models have applied this global position, the `X-Event-Position` of an earlier write; 503 `projection_lag` with `Retry-After` otherwise.',
      example: '1042',
    }),
});

function problemExample(status: number, code: string): Record<string, unknown> {
  return {
    type: 'about:blank',
    title: STATUS_TITLES[status] ?? 'Error',
    status,
    code,
    ...(code === 'validation_failed'
      ? {
          detail: 'The request has invalid fields',
          errors: [{ field: 'limit_price', message: 'Required for limit orders' }],
        }
      : {}),
    instance: '/api/v1/…',
    request_id: '6f1c2d1e-5f7a-4c2b-9a53-3f0f3b8f2b11',
  };
}

function problemResponse(status: number, codes: readonly string[]): ResponseConfig {
  const unique = [...new Set(codes)];
  const examples = Object.fromEntries(
    unique.map((code) => [code, { summary: code, value: problemExample(status, code) }]),
  );
  return {
    description: `${STATUS_TITLES[status] ?? 'Error'}: ${unique.map((c) => `\`${c}\``).join(', ')}`,
    ...(status === 429 || status === 503
      ? {
          headers: {
            'Retry-After': {
              description: 'Seconds to wait before retrying',
              schema: { type: 'integer' },
            },
          },
        }
      : {}),
    content: { 'application/problem+json': { schema: ProblemSchema, examples } },
  };
}

function successResponse(doc: ResponseDoc, write: boolean): ResponseConfig {
  const headers: Record<string, { description: string; schema: { type: 'string' } }> = {};
  for (const [name, header] of Object.entries(doc.headers ?? {})) {
    headers[name] = { description: header.description, schema: { type: 'string' } };
  }
  if (write) {
    headers[EVENT_POSITION_HEADER] = {
      description:
        'Global position of the last event this write appended; send it back as `X-Min-Position` to read your write.',
      schema: { type: 'string' },
    };
  }
  return {
    description: doc.description,
    ...(Object.keys(headers).length > 0 ? { headers } : {}),
    ...(doc.schema === undefined
      ? {}
      : {
          content: {
            [doc.contentType ?? 'application/json']: {
              schema: doc.schema,
              ...(doc.example === undefined ? {} : { example: doc.example }),
            },
          },
        }),
  };
}

function errorsOf(doc: OperationDoc): Map<number, string[]> {
  const errors = new Map<number, string[]>();
  const add = (status: number, ...codes: string[]): void => {
    errors.set(status, [...(errors.get(status) ?? []), ...codes]);
  };
  for (const [status, codes] of Object.entries(doc.errors ?? {})) {
    if (codes) add(Number(status), ...codes);
  }
  if ((doc.security ?? 'bearer') === 'bearer') {
    add(401, 'unauthenticated', 'invalid_token');
  }
  add(429, 'rate_limited');
  if (doc.consistency === 'read') add(503, 'projection_lag');
  add(503, 'request_timeout');
  add(500, 'internal_error');
  if (doc.request?.body !== undefined) add(400, 'malformed_json');
  return errors;
}

function routeConfig(doc: OperationDoc): RouteConfig {
  const responses: Record<string, ResponseConfig> = {};
  for (const [status, response] of Object.entries(doc.responses)) {
    responses[status] = successResponse(response, doc.consistency === 'write');
  }
  for (const [status, codes] of [...errorsOf(doc)].sort(([a], [b]) => a - b)) {
    responses[String(status)] = problemResponse(status, codes);
  }
  const body = doc.request?.body;
  const headers =
    doc.consistency === 'read'
      ? doc.request?.headers
        ? doc.request.headers.extend(minPositionHeaders.shape)
        : minPositionHeaders
      : doc.request?.headers;
  return {
    method: doc.method,
    path: doc.path,
    tags: [...doc.tags],
    summary: doc.summary,
    description: doc.description,
    operationId: doc.operationId ?? operationIdOf(doc),
    ...((doc.security ?? 'bearer') === 'bearer'
      ? { security: [{ bearerAuth: [] }] }
      : { security: [] }),
    request: {
      ...(doc.request?.params ? { params: doc.request.params } : {}),
      ...(doc.request?.query ? { query: doc.request.query } : {}),
      ...(headers ? { headers } : {}),
      ...(body
        ? {
            body: {
              required: true,
              ...(body.description === undefined ? {} : { description: body.description }),
              content: {
                [body.contentType ?? 'application/json']: {
                  schema: body.schema,
                  ...(body.example === undefined ? {} : { example: body.example }),
                  ...(body.examples === undefined ? {} : { examples: { ...body.examples } }),
                },
              },
            },
          }
        : {}),
    },
    responses,
  };
}

/** `get /api/v1/accounts/{id}/orders` → `getAccountsIdOrders`. */
function operationIdOf(doc: OperationDoc): string {
  const words = doc.path
    .replace(API_PREFIX, '')
    .split(/[/{}._-]+/)
    .filter((w) => w.length > 0)
    .map((w) => `${w.charAt(0).toUpperCase()}${w.slice(1)}`);
  return `${doc.method}${words.join('')}`;
}

/** Metadata of the generated document. */
export interface DocumentInfo {
  readonly version: string;
}

/**
 * The OpenAPI 3.1.0 document of every documented operation. Generated on first use and again
 * only after another operation was documented.
 */
export function openApiDocument(info: DocumentInfo): unknown {
  if (cached?.version === version) return cached.document;
  const registry = new OpenAPIRegistry();
  registry.registerComponent('securitySchemes', 'bearerAuth', {
    type: 'http',
    scheme: 'bearer',
    description:
      'An access token from `POST /api/v1/auth/login` (JWT, 15 minutes) or an API key from `POST /api/v1/me/api-keys` (`opt_…`).',
  });
  registry.register('Problem', ProblemSchema);
  const sorted = [...operations.values()].sort((a, b) =>
    a.path === b.path ? a.method.localeCompare(b.method) : a.path.localeCompare(b.path),
  );
  for (const doc of sorted) registry.registerPath(routeConfig(doc));
  const document = new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: '3.1.0',
    info: {
      title: 'Open Paper Trading API',
      version: info.version,
      description:
        'Paper trading for people and AI agents over an event-sourced ledger. Money, prices and quantities are exact decimal strings; timestamps are RFC 3339. Errors are `application/problem+json` with a stable `code`. Writes answer `X-Event-Position`; reads honour `X-Min-Position` (read-your-writes).',
      license: { name: 'MIT', identifier: 'MIT' },
    },
    servers: [{ url: '/', description: 'This server' }],
    tags: [...new Set(sorted.flatMap((d) => d.tags))].sort().map((name) => ({ name })),
  });
  cached = { version, document };
  return document;
}

documentOperation({
  method: 'get',
  path: OPENAPI_PATH,
  tags: ['System'],
  summary: 'OpenAPI document',
  description:
    'This API described as OpenAPI 3.1.0, generated from the zod schemas the routes validate with. Swagger UI renders it at `/docs`.',
  security: 'none',
  responses: {
    200: {
      description: 'The OpenAPI document',
      schema: z.object({ openapi: z.literal('3.1.0') }).catchall(z.unknown()),
    },
  },
});

/** Swagger UI's page: local assets only, configured by a script file (no inline script). */
function docsPage(): string {
  return `<!DOCTYPE html>
<html lang="en">
  <head>
    <meta charset="UTF-8">
    <title>Open Paper Trading API</title>
    <link rel="stylesheet" type="text/css" href="${DOCS_PATH}/swagger-ui.css">
    <link rel="icon" type="image/png" href="${DOCS_PATH}/favicon-32x32.png" sizes="32x32">
  </head>
  <body>
    <div id="swagger-ui"></div>
    <script src="${DOCS_PATH}/swagger-ui-bundle.js" charset="UTF-8"></script>
    <script src="${DOCS_PATH}/swagger-ui-standalone-preset.js" charset="UTF-8"></script>
    <script src="${DOCS_PATH}/swagger-initializer.js" charset="UTF-8"></script>
  </body>
</html>
`;
}

const INITIALIZER = `window.onload = function () {
  window.ui = SwaggerUIBundle({
    url: ${JSON.stringify(OPENAPI_PATH)},
    dom_id: '#swagger-ui',
    deepLinking: true,
    persistAuthorization: false,
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
    plugins: [SwaggerUIBundle.plugins.DownloadUrl],
    layout: 'StandaloneLayout',
  });
};
`;

/** Asset files Swagger UI needs; anything else under `/docs` is not served. */
const DOCS_ASSETS = new Set([
  'swagger-ui.css',
  'swagger-ui-bundle.js',
  'swagger-ui-standalone-preset.js',
  'favicon-32x32.png',
  'favicon-16x16.png',
]);

/**
 * `GET /docs`: Swagger UI over `/api/v1/openapi.json`, from the `swagger-ui-dist` package.
 * Its Content-Security-Policy is its own on this path only (Swagger UI sets inline styles,
 * shows `data:` images and must work on plain-HTTP hosts); every other path keeps helmet's
 * default policy. Mount it at {@link DOCS_PATH}: its routes are relative to it.
 */
export function docsRouter(): Router {
  const router = Router();
  const root = getAbsoluteFSPath();
  const page = docsPage();
  router.use(
    helmet({
      contentSecurityPolicy: {
        // Not helmet's defaults: no `upgrade-insecure-requests`, which would send the page's
        // scripts to https:// on a plain-HTTP host and leave the page blank.
        useDefaults: false,
        directives: {
          'default-src': ["'self'"],
          'base-uri': ["'self'"],
          'script-src': ["'self'"],
          'script-src-attr': ["'none'"],
          'style-src': ["'self'", "'unsafe-inline'"],
          'img-src': ["'self'", 'data:'],
          'font-src': ["'self'", 'data:'],
          'connect-src': ["'self'"],
          'object-src': ["'none'"],
          'frame-ancestors': ["'self'"],
          'form-action': ["'self'"],
        },
      },
    }),
  );
  const sendPage: express.RequestHandler = (_req, res) => {
    res.type('html').setHeader('Cache-Control', 'no-cache').send(page);
  };
  // `/docs` and `/docs/` (the mount strips `/docs`).
  router.get('/', sendPage);
  router.get('/swagger-initializer.js', (_req, res) => {
    res.type('application/javascript').setHeader('Cache-Control', 'no-cache').send(INITIALIZER);
  });
  const assets = new Map<string, Buffer>();
  router.get('/:file', (req, res, next) => {
    const file = req.params.file;
    if (!DOCS_ASSETS.has(file)) {
      next();
      return;
    }
    let body = assets.get(file);
    if (body === undefined) {
      body = readFileSync(path.join(root, file));
      assets.set(file, body);
    }
    res.type(path.extname(file)).setHeader('Cache-Control', 'public, max-age=86400').send(body);
  });
  return router;
}

/**
 * A route's method, URL and schema from its operation in the contract
 * (src/protocol/contract): the same definition validates the request, serialises the answer,
 * types the handler (through the TypeBox type provider) and becomes the OpenAPI entry.
 */
import { ApiErrorBody, type Operation } from '../../protocol/contract/index.js';

type Part<T, K extends string> = T extends { [key in K]: infer S } ? S : undefined;

/** Both session kinds are bearer tokens; the OpenAPI document names them apart for client generators. */
export const securitySchemes = {
  mailboxSession: { type: 'http', scheme: 'bearer', description: "A reporter's mailbox session (POST /api/v1/mailbox/session)." },
  staffSession: { type: 'http', scheme: 'bearer', description: 'A staff session (POST /api/v1/auth/login).' },
} as const;

/**
 * Statuses any route can answer with the error body, besides its own (docs/protocol.md §10):
 * a slow or oversized request, a fault, and load shedding or a database that does not answer.
 */
const ANY_ROUTE = [408, 414, 431, 500, 503] as const;
/** And any route that takes a body: malformed JSON, too large, the wrong type or encoding. */
const WITH_BODY = [400, 413, 415] as const;

/** Every status an operation answers with the error body. */
export function errorStatuses(operation: Operation): number[] {
  const statuses = new Set<number>([...operation.errors, ...ANY_ROUTE, ...(operation.body === undefined ? [] : WITH_BODY)]);
  return [...statuses].sort((a, b) => a - b);
}

/** The error body by reference: one schema in the document's components, not a copy per answer. */
const errorRef = { $ref: `${ApiErrorBody.$id ?? 'Error'}#` };

export function routeOf<const T extends Operation>(operation: T) {
  const schema: Record<string, unknown> = {
    operationId: operation.operationId,
    summary: operation.summary,
    tags: [operation.tag],
    // An empty list marks a route as public, so the document says so rather than leaving it unsaid.
    security: operation.auth === 'none' ? [] : [{ [operation.auth === 'mailbox' ? 'mailboxSession' : 'staffSession']: [] }],
    response: { ...operation.response, ...Object.fromEntries(errorStatuses(operation).map((status) => [status, errorRef])) },
  };
  if (operation.description !== undefined) schema.description = operation.description;
  for (const part of ['params', 'querystring', 'headers', 'body'] as const) if (operation[part] !== undefined) schema[part] = operation[part];
  return {
    method: operation.method,
    url: operation.url,
    // @fastify/swagger leaves HEAD routes out unless told; the tus HEAD routes are part of the API.
    ...(operation.method === 'HEAD' ? { config: { swagger: { exposeHeadRoute: true } } } : {}),
    schema: schema as {
      params: Part<T, 'params'>;
      querystring: Part<T, 'querystring'>;
      headers: Part<T, 'headers'>;
      body: Part<T, 'body'>;
      response: T['response'] & Record<T['errors'][number], typeof ApiErrorBody>;
    },
  };
}

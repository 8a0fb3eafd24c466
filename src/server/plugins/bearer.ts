import type { FastifyRequest } from 'fastify';

/** The token of `Authorization: Bearer <token>`; undefined for anything else. No cookies exist. */
export function bearerToken(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (typeof header !== 'string') return undefined;
  const match = /^Bearer ([A-Za-z0-9_-]{16,128})$/.exec(header);
  return match?.[1];
}

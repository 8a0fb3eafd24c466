import type { FastifyInstance } from 'fastify';
import { errorBody } from '../schemas/common.js';

const status = {
  type: 'object',
  properties: { status: { type: 'string' } },
  required: ['status'],
  additionalProperties: false,
} as const;

/** `/healthz`: the process is up. `/readyz`: the database answers. */
export async function healthRoutes(app: FastifyInstance): Promise<void> {
  app.get('/healthz', { schema: { tags: ['operations'], response: { 200: status } } }, async () => ({ status: 'ok' }));

  app.get('/readyz', { schema: { tags: ['operations'], response: { 200: status, 503: errorBody } } }, async (_request, reply) => {
    try {
      await app.database.ping();
      return { status: 'ready' };
    } catch {
      return reply.status(503).send({ error: 'database_unavailable', message: 'The database does not answer.' });
    }
  });
}

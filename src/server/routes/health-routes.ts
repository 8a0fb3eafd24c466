import type { FastifyInstance } from 'fastify';
import { checkReadiness } from '../plugins/readiness.js';
import { errorBody } from '../schemas/common.js';

const status = {
  type: 'object',
  properties: { status: { type: 'string' } },
  required: ['status'],
  additionalProperties: false,
} as const;

/** `/healthz`: the process is up. `/readyz`: the database answers and can write, and has disk to write on. */
export async function healthRoutes(app: FastifyInstance): Promise<void> {
  app.get('/healthz', { schema: { tags: ['operations'], response: { 200: status } } }, async () => ({ status: 'ok' }));

  app.get('/readyz', { schema: { tags: ['operations'], response: { 200: status, 503: errorBody } } }, async () => {
    await checkReadiness(app.database, app.config.minFreeDiskBytes);
    return { status: 'ready' };
  });
}

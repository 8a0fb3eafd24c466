import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { healthz, readyz } from '../../protocol/contract/index.js';
import { checkReadiness } from '../plugins/readiness.js';
import { routeOf } from './operation-route.js';

/** `/healthz`: the process is up. `/readyz`: the database answers and can write, and has disk to write on. */
export const healthRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.route({ ...routeOf(healthz), handler: async () => ({ status: 'ok' }) });

  app.route({
    ...routeOf(readyz),
    handler: async () => {
      await checkReadiness(app.database, app.config.minFreeDiskBytes);
      return { status: 'ready' };
    },
  });
};

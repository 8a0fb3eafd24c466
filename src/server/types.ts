import type { Config } from './config.js';
import type { DatabaseHandle } from './db/connection.js';
import type { Services } from './services/index.js';

declare module 'fastify' {
  interface FastifyInstance {
    config: Config;
    database: DatabaseHandle;
    services: Services;
  }
}

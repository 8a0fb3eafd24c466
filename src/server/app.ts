import './types.js';
import { fileURLToPath } from 'node:url';
import { existsSync } from 'node:fs';
import Fastify, { type FastifyInstance } from 'fastify';
import fastifyStatic from '@fastify/static';
import fp from 'fastify-plugin';
import swagger from '@fastify/swagger';
import underPressure from '@fastify/under-pressure';
import type { Config } from './config.js';
import type { DatabaseHandle } from './db/connection.js';
import { securityHeaders } from './plugins/security-headers.js';
import { loggerOptions } from './plugins/logging.js';
import { clientErrors, errorHandling, routerErrors } from './plugins/errors.js';
import { jsonBodies } from './plugins/json-body.js';
import { unavailable } from './errors.js';
import { auditSealer } from './plugins/audit-sealer.js';
import { housekeeping } from './plugins/housekeeping.js';
import { mailer } from './plugins/mailer.js';
import { createServices } from './services/index.js';
import { healthRoutes } from './routes/health-routes.js';
import { validatorCompiler } from './schemas/validation.js';
import { reporterRoutes } from './routes/reporter-routes.js';
import { mailboxRoutes } from './routes/mailbox-routes.js';
import { staffAuthRoutes } from './routes/staff-auth-routes.js';
import { annualReportRoutes } from './routes/annual-report-routes.js';
import { fileRoutes } from './routes/file-routes.js';
import { caseRoutes } from './routes/case-routes.js';
import { relayRoutes } from './routes/relay-routes.js';
import { notificationRoutes } from './routes/notification-routes.js';
import { operatorRoutes } from './routes/operator-routes.js';
import { ApiErrorBody, tags } from '../protocol/contract/index.js';
import { securitySchemes } from './routes/operation-route.js';

export const publicDir = fileURLToPath(new URL('../../public', import.meta.url));

export interface AppOptions {
  /** Where log lines go; standard output when absent (tests capture them). */
  logStream?: NodeJS.WritableStream;
}

/**
 * The Fastify app, plugins in a fixed order: platform plugins (headers, logging, errors,
 * OpenAPI), then the application's services, then routes, then static files.
 */
export async function buildApp(config: Config, database: DatabaseHandle, options: AppOptions = {}): Promise<FastifyInstance> {
  const { timeouts } = config;
  const app = Fastify({
    ...loggerOptions(config.logLevel, options.logStream),
    trustProxy: config.trustProxy,
    bodyLimit: config.bodyLimit,
    return503OnClosing: true,
    // A client that sends slowly or stops half-way must not hold a connection for ever.
    requestTimeout: timeouts.requestMs,
    keepAliveTimeout: timeouts.keepAliveMs,
    // A socket silent for longer than a request and a keep-alive wait together is dead.
    connectionTimeout: timeouts.requestMs + timeouts.keepAliveMs,
    http: {
      requestTimeout: timeouts.requestMs,
      headersTimeout: timeouts.headersMs,
      // Node checks the two timeouts above only this often (30 s by default).
      connectionsCheckingInterval: Math.max(100, Math.min(30_000, Math.floor(timeouts.headersMs / 4))),
    },
    frameworkErrors: routerErrors,
    clientErrorHandler: clientErrors,
  });

  app.setValidatorCompiler(validatorCompiler);
  // The API speaks JSON only (and octet streams for files): text bodies get a 415, not a parse.
  app.removeContentTypeParser('text/plain');
  await app.register(fp(securityHeaders), { onionLocation: config.onionLocation });
  await app.register(fp(errorHandling));
  await app.register(fp(jsonBodies));
  if (config.maxEventLoopDelayMs > 0) {
    await app.register(underPressure, {
      maxEventLoopDelay: config.maxEventLoopDelayMs,
      // Health checks answer under load: an orchestrator that sees them fail would restart a busy process.
      pressureHandler: (request, reply) => {
        if (request.routeOptions.url === '/healthz' || request.routeOptions.url === '/readyz') return undefined;
        reply.header('retry-after', '10');
        return Promise.reject(unavailable('overloaded', 'The server is busy; try again shortly.'));
      },
    });
  }
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Confidant API',
        version: '1',
        description: 'Protocol v1: the server stores and forwards ciphertext only. See docs/protocol.md.',
        license: { name: 'AGPL-3.0-or-later', url: 'https://www.gnu.org/licenses/agpl-3.0.html' },
      },
      // Relative: the document is served by the instance it describes.
      servers: [{ url: '/', description: 'This instance' }],
      tags: tags.map((tag) => ({ ...tag })),
      components: { securitySchemes },
    },
    // A HEAD route of its own (tus) keeps its operationId: @fastify/swagger suffixes "-head",
    // which is right only for the HEAD twin of a GET.
    transformObject: (document) => {
      if (!('openapiObject' in document)) return document.swaggerObject;
      for (const item of Object.values(document.openapiObject.paths ?? {})) {
        const head = (item as { head?: { operationId?: string } } | undefined)?.head;
        if (head?.operationId?.endsWith('-head')) head.operationId = head.operationId.slice(0, -'-head'.length);
      }
      return document.openapiObject;
    },
    // Shared schemas keep their $id as their component name (Error), not def-0.
    refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => (typeof json.$id === 'string' ? json.$id : `def-${i}`) },
  });
  app.addSchema(ApiErrorBody);

  app.decorate('config', config);
  app.decorate('database', database);
  app.decorate('services', await createServices(config, database));
  app.addHook('onClose', async () => app.services.fileBodies.close());
  await app.register(auditSealer);
  await app.register(housekeeping);
  await app.register(mailer);

  await app.register(healthRoutes);
  await app.register(reporterRoutes);
  await app.register(mailboxRoutes);
  await app.register(staffAuthRoutes);
  await app.register(notificationRoutes);
  await app.register(caseRoutes);
  await app.register(fileRoutes);
  await app.register(annualReportRoutes);
  await app.register(relayRoutes);
  await app.register(operatorRoutes);
  app.get('/api/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  await app.register(fastifyStatic, {
    root: publicDir,
    cacheControl: false,
    etag: false,
    lastModified: false,
    wildcard: false,
  });

  const pageShell = existsSync(`${publicDir}/index.html`);
  app.setNotFoundHandler(async (request, reply) => {
    const path = request.url.split('?')[0] ?? '';
    // The web app routes pages itself: every other GET of a page answers with its shell.
    if ((request.method === 'GET' || request.method === 'HEAD') && !path.startsWith('/api/') && pageShell && !/\.[a-z0-9]+$/i.test(path)) {
      return reply.type('text/html; charset=utf-8').sendFile('index.html');
    }
    return reply.status(404).send({ error: 'not_found', message: 'There is nothing at this address.' });
  });

  await app.ready();
  return app;
}

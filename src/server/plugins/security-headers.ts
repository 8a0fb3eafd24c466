import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyInstance } from 'fastify';
import helmet from 'helmet';

/**
 * design.md invariant 3: a strict Content-Security-Policy with Trusted Types, no referrer,
 * same-origin isolation and no caching, on every answer (pages, files, API, errors, 404s).
 */
export const contentSecurityPolicy = {
  'default-src': ["'none'"],
  'script-src': ["'self'", "'wasm-unsafe-eval'"],
  'style-src': ["'self'"],
  'img-src': ["'self'"],
  'font-src': ["'self'"],
  'connect-src': ["'self'"],
  'worker-src': ["'self'"],
  'manifest-src': ["'self'"],
  'frame-ancestors': ["'none'"],
  'form-action': ["'self'"],
  'base-uri': ["'none'"],
  'require-trusted-types-for': ["'script'"],
  'trusted-types': ['confidant'],
};

const helmetOptions = {
  contentSecurityPolicy: { useDefaults: false, directives: contentSecurityPolicy },
  referrerPolicy: { policy: 'no-referrer' },
  crossOriginOpenerPolicy: { policy: 'same-origin' },
  crossOriginResourcePolicy: { policy: 'same-origin' },
  crossOriginEmbedderPolicy: false,
  xFrameOptions: { action: 'deny' },
} as const;

/**
 * helmet computes the same headers on every request from options that never change, so they
 * are computed once (below) and copied onto each answer. onSend runs last, after
 * @fastify/static and every handler, so nothing may be cached either.
 */
export async function securityHeaders(app: FastifyInstance, options: { onionLocation?: string | undefined }): Promise<void> {
  const { onionLocation } = options;
  app.addHook('onSend', (request, reply, payload, done) => {
    reply.headers(securityHeaderSet);
    // Tor Browser offers the onion service for the page being read (it looks only at pages).
    if (onionLocation !== undefined && String(reply.getHeader('content-type') ?? '').startsWith('text/html')) {
      reply.header('onion-location', `${onionLocation}${request.url}`);
    }
    done(null, payload);
  });
}

/**
 * The headers as a fixed list, computed by helmet from the options above: for every answer,
 * including those written outside the request lifecycle (router and connection errors).
 */
function fixedSecurityHeaders(): Readonly<Record<string, string>> {
  const headers: Record<string, string> = {};
  const recorder = {
    setHeader: (name: string, value: unknown) => {
      headers[name.toLowerCase()] = String(value);
    },
    removeHeader: (name: string) => {
      delete headers[name.toLowerCase()];
    },
  };
  helmet(helmetOptions)({} as IncomingMessage, recorder as unknown as ServerResponse, () => {});
  return Object.freeze({ ...headers, 'cache-control': 'no-store' });
}

export const securityHeaderSet = fixedSecurityHeaders();

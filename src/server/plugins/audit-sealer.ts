/**
 * Seals pending audit events into the hash-chained audit log every couple of seconds, and
 * once more when the app closes. Several instances may run it against one database: the
 * sealer's advisory lock makes them take turns. A failure is logged and retried at the next
 * tick; it never stops the server. Logs only counts and error messages.
 */
import type { FastifyInstance } from 'fastify';
import { innermostMessage } from '../db/errors.js';
import { createAudit } from '../services/audit.js';

export interface AuditSealerOptions {
  /** Milliseconds between seals; 2000 when absent. */
  intervalMs?: number;
}

export async function auditSealer(app: FastifyInstance, opts: AuditSealerOptions): Promise<void> {
  const audit = createAudit(app.database.db);
  // One seal at a time per instance: a slow seal is not joined by the next tick.
  let running: Promise<void> | undefined;
  const seal = (): Promise<void> =>
    (running ??= audit
      .seal()
      .then(
        (sealed) => {
          if (sealed > 0) app.log.debug({ sealed }, 'audit events sealed');
        },
        (error: unknown) => {
          app.log.warn({ error: innermostMessage(error) }, 'audit sealing failed');
        },
      )
      .finally(() => {
        running = undefined;
      }));

  const timer = setInterval(() => void seal(), opts.intervalMs ?? 2000);
  timer.unref();

  app.addHook('onClose', async () => {
    clearInterval(timer);
    await running;
    await seal();
  });
}

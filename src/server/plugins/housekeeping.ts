/**
 * Forgets what can no longer be used: spent mailbox challenges and mailbox sessions past their
 * expiry, expired staff sessions, spent proof-of-work challenges past their expiry; and reporter
 * events past their retention. Every ten minutes and at start; a failure is logged and tried
 * again next time.
 */
import type { FastifyInstance } from 'fastify';
import { innermostMessage } from '../db/errors.js';

export async function housekeeping(app: FastifyInstance, opts: { intervalMs?: number }): Promise<void> {
  const { mailbox, accounts, proofOfWork, reporterEvents } = app.services;
  const sweep = async () => {
    try {
      await mailbox.sweep();
      await accounts.sweep();
      await proofOfWork.sweep();
      await reporterEvents.sweep();
    } catch (error) {
      app.log.warn({ error: innermostMessage(error) }, 'housekeeping failed');
    }
  };
  const timer = setInterval(() => void sweep(), opts.intervalMs ?? 10 * 60 * 1000);
  timer.unref();
  app.addHook('onReady', async () => {
    void sweep();
  });
  app.addHook('onClose', async () => clearInterval(timer));
}

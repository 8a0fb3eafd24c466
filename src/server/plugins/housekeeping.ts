/**
 * Forgets what can no longer be used: spent mailbox challenges and mailbox sessions past their
 * expiry, expired staff sessions, spent proof-of-work challenges past their expiry, expired
 * invites; reporter events past their retention; and closed cases past their channel's retention
 * (services/retention.ts); then unfinished file uploads after a day, and file bodies no row
 * names any more, such as those of the cases just deleted (services/files.ts). Every ten
 * minutes and at start; a failure is logged and tried again next time. Deletions are logged as
 * counts only.
 */
import type { FastifyInstance } from 'fastify';
import { innermostMessage } from '../db/errors.js';

export async function housekeeping(app: FastifyInstance, opts: { intervalMs?: number }): Promise<void> {
  const { mailbox, accounts, proofOfWork, reporterEvents, retention, files } = app.services;
  const sweep = async () => {
    try {
      await mailbox.sweep();
      await accounts.sweep();
      await accounts.sweepInvites();
      await proofOfWork.sweep();
      await reporterEvents.sweep();
      const swept = await retention.sweep();
      if (swept.deleted > 0 || swept.purged > 0) app.log.info(swept, 'retention: cases deleted, deleted cases purged');
      const removed = await files.sweep();
      if (removed.uploads > 0 || removed.bodies > 0) app.log.info(removed, 'files: unfinished uploads and bodies of no file removed');
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

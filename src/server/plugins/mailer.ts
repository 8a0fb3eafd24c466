/**
 * Notification mail (docs/protocol.md §6 "Notifications", SECURITY.md): every MAIL_POLL_MS, makes the day's digests once
 * their time has come and sends what the outbox holds. Only when SMTP_URL is set; a failure is
 * logged as counts and tried again with backoff. One round at a time.
 */
import type { FastifyInstance } from 'fastify';
import { innermostMessage } from '../db/errors.js';
import { smtpSender } from '../mail/smtp.js';

export async function mailer(app: FastifyInstance): Promise<void> {
  const mail = app.config.mail;
  if (!mail) return;
  const { mailOutbox } = app.services;
  const smtp = smtpSender(mail, app.config.publicUrl);
  const send = smtp.send;
  let running: Promise<void> | null = null;
  const round = async () => {
    try {
      await mailOutbox.scheduleDigests();
      const delivered = await mailOutbox.deliver(send);
      if (delivered.failed > 0 || delivered.dropped > 0) app.log.warn(delivered, 'mail: some notifications were not accepted; they are retried');
      else if (delivered.sent > 0) app.log.info(delivered, 'mail: notifications sent');
      await mailOutbox.sweep();
    } catch (error) {
      app.log.warn({ error: innermostMessage(error) }, 'mail round failed');
    }
  };
  const tick = () => {
    running ??= round().finally(() => {
      running = null;
    });
  };
  const timer = setInterval(tick, mail.pollMs);
  timer.unref();
  app.addHook('onReady', async () => tick());
  app.addHook('onClose', async () => {
    clearInterval(timer);
    await running;
    smtp.close();
  });
}

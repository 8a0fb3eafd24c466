/**
 * Hands outbox mail to the configured SMTP server with nodemailer. Plain text, base64-encoded,
 * so that a mail's size follows its byte length only; no logging (a log line would hold an
 * address).
 */
import nodemailer from 'nodemailer';
import type { MailConfig } from '../config.js';
import type { SendMail } from '../services/mail-outbox.js';

export function smtpSender(mail: MailConfig, publicUrl: string): { send: SendMail; close(): void } {
  const transport = nodemailer.createTransport(mail.smtpUrl);
  const domain = new URL(publicUrl).hostname;
  return {
    send: async (message) => {
      await transport.sendMail({
        from: mail.from,
        to: message.to,
        subject: message.subject,
        text: message.text,
        textEncoding: 'base64',
        date: message.date,
        messageId: `<${message.id}@${domain}>`,
        // Nothing that differs between mails of one person beyond the fixed-width date and id.
        headers: { 'Auto-Submitted': 'auto-generated' },
        xMailer: false,
      });
    },
    close: () => transport.close(),
  };
}

/** Worker-side reporter flows: submit a report, open and use the mailbox with the code. */
import { openMailbox, readBack, submitNewReport, type ConfidantClient, type Mailbox, type ReportPlaintext } from '../../protocol/index.js';
import type { Progress } from './rpc.js';

export function reporterHandlers(client: ConfidantClient) {
  let mailbox: Mailbox | undefined;
  const open = (): Mailbox => {
    if (!mailbox) throw Object.assign(new Error('The mailbox is closed.'), { code: 'session_closed' });
    return mailbox;
  };

  return {
    /** Instant typo feedback from the check symbols, before any derivation. */
    async checkCode(_progress: Progress, input: string) {
      const read = readBack(input);
      return read.ok ? { ok: true as const } : { ok: false as const, error: read.error };
    },

    async channel(_progress: Progress, slug: string) {
      return client.getChannel(slug);
    },

    async submitReport(progress: Progress, slug: string, report: ReportPlaintext, adviserKeyIds: string[] | undefined) {
      progress('deriving');
      return submitNewReport(client, { slug, report, ...(adviserKeyIds ? { adviserKeyIds } : {}) });
    },

    async openMailbox(progress: Progress, code: string) {
      progress('deriving');
      await mailbox?.close().catch(() => {});
      mailbox = await openMailbox(client, code);
      return mailbox.view;
    },

    async mailboxRefresh() {
      return open().refresh();
    },

    async mailboxPost(_progress: Progress, body: string) {
      await open().postMessage(body);
      return open().refresh();
    },

    async mailboxConsent(_progress: Progress, relayId: string, decision: 'approve' | 'decline') {
      await open().consent(relayId, decision);
      return open().refresh();
    },

    async mailboxRotate(progress: Progress) {
      progress('deriving');
      const code = await open().rotate();
      mailbox = undefined;
      return code;
    },

    async mailboxClose() {
      await mailbox?.close().catch(() => {});
      mailbox = undefined;
      return null;
    },
  };
}

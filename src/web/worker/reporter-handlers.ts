/** Worker-side reporter flows: submit a report, open and use the mailbox with the code. */
import {
  activeEngine, deriveMailboxKeys, generateCode, openMailbox, pinnedAdvisers, ProtocolError, readBack, refuseCodeIn, submitNewReport, type ConfidantClient, type Mailbox, type ReportPlaintext
} from '../../protocol/index.js';
import { cleanedFile } from './file-cleaning.js';
import { plainFileOf, type FileTransfers } from './file-transfers.js';
import type { Progress } from './rpc.js';

/**
 * The client as submitNewReport sees it, reporting the later stages of a submission:
 * 'pow' when the proof-of-work challenge is fetched (it is solved right after), 'sending'
 * when the report goes out. Every other member is the client's own.
 */
function stagedClient(client: ConfidantClient, progress: Progress): ConfidantClient {
  return new Proxy(client, {
    get(target, prop) {
      if (prop === 'getPow') {
        return async (...args: Parameters<ConfidantClient['getPow']>) => {
          progress('pow');
          return target.getPow(...args);
        };
      }
      if (prop === 'submitReport') {
        return async (...args: Parameters<ConfidantClient['submitReport']>) => {
          progress('sending');
          return target.submitReport(...args);
        };
      }
      const value: unknown = Reflect.get(target, prop, target);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

export function reporterHandlers(client: ConfidantClient, transfers: FileTransfers) {
  let mailbox: Mailbox | undefined;
  /**
   * The code of the report just sent, kept in this worker only until the confirmation page opens
   * its mailbox to attach files, or leaves: then it is forgotten.
   */
  let submittedCode: string | undefined;
  const open = (): Mailbox => {
    if (!mailbox) throw Object.assign(new Error('The mailbox is closed.'), { code: 'session_closed' });
    return mailbox;
  };

  return {
    /**
     * One derivation of a throwaway code, while the reporter writes the report: the first
     * Argon2id in a worker grows its WebAssembly memory to 64 MiB, which costs more than the
     * derivation itself, so the one that counts runs warm. Nothing is sent or kept. Without
     * WebAssembly there is nothing to warm, and a derivation would hold the worker for a minute.
     */
    async warmUp() {
      if (activeEngine() !== 'libsodium') return;
      await deriveMailboxKeys(generateCode().body);
    },

    /** Instant typo feedback from the check symbols, before any derivation. */
    async checkCode(_progress: Progress, input: string) {
      const read = readBack(input);
      return read.ok ? { ok: true as const } : { ok: false as const, error: read.error };
    },

    /** With the link's pins, only advisers whose keys the organisation published are offered. */
    async channel(_progress: Progress, slug: string, pins: string[] | undefined) {
      const channel = await client.getChannel(slug);
      const advisers = pinnedAdvisers(channel.advisers, pins);
      if (pins !== undefined && advisers.length === 0) {
        throw new ProtocolError('unpinned_advisers', "no adviser's keys match the ones the organisation published");
      }
      return { ...channel, advisers };
    },

    async submitReport(progress: Progress, slug: string, report: ReportPlaintext, adviserKeyIds: string[] | undefined, pins: string[] | undefined) {
      progress('deriving');
      const submitted = await submitNewReport(stagedClient(client, progress), {
        slug,
        report,
        ...(adviserKeyIds ? { adviserKeyIds } : {}),
        ...(pins ? { pinnedFingerprints: pins } : {}),
      });
      submittedCode = submitted.code;
      return submitted;
    },

    /** Opens the mailbox of the report just sent, with its kept code (then forgotten): files attached on the confirmation page. */
    async openSubmittedMailbox(progress: Progress) {
      const code = submittedCode;
      submittedCode = undefined;
      if (code === undefined) throw new ProtocolError('session_closed', 'open the mailbox with your code');
      progress('deriving');
      await mailbox?.close().catch(() => {});
      mailbox = await openMailbox(client, code);
      return mailbox.view;
    },

    async forgetSubmittedCode() {
      submittedCode = undefined;
      return null;
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

    /** The decision, and the reporter's note on it when there is one (checked first, so a refused note leaves the decision undone). */
    async mailboxConsent(_progress: Progress, relayId: string, decision: 'approve' | 'decline', note = '') {
      if (note !== '') refuseCodeIn([note]);
      await open().consent(relayId, decision);
      if (note !== '') await open().postMessage(note);
      return open().refresh();
    },

    /** Encrypts and sends a file (its cleaned copy when `clean`) for the adviser while reading it; answers the refreshed mailbox. */
    async mailboxAttach(progress: Progress, transferId: string, file: File, clean: boolean) {
      progress('preparing');
      const made = await open().attachFile(plainFileOf(clean ? await cleanedFile(file) : file));
      await transfers.send(progress, transferId, made);
      return open().refresh();
    },

    /** Decrypts a file of the case into `target` (null: answers a Blob to save). */
    async mailboxDownload(progress: Progress, fileId: string, target: FileSystemFileHandle | null) {
      return transfers.receive(progress, open().fileDownload(fileId), target);
    },

    /** Decrypts an attachment of a relay, to read before deciding, into `target` (null: answers a Blob to save). */
    async mailboxRelayAttachment(progress: Progress, relayId: string, fileId: string, target: FileSystemFileHandle | null) {
      return transfers.receive(progress, open().relayAttachmentDownload(relayId, fileId), target);
    },

    async mailboxRotate(progress: Progress) {
      progress('deriving');
      const current = open();
      const code = await current.rotate();
      // The server ended every session of the old code; forget the case key here too.
      mailbox = undefined;
      await current.close().catch(() => {});
      return code;
    },

    async mailboxClose() {
      await mailbox?.close().catch(() => {});
      mailbox = undefined;
      return null;
    },
  };
}

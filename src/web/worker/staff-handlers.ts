/** Worker-side staff flows: account set-up, sign-in, casework and relays. Keys stay in the worker. */
import {
  ApiError,
  fingerprintOf,
  newDeviceKey,
  ProtocolError,
  StaffSession,
  recoverAccount,
  setUpAccount,
  signIn,
  type CaseListQuery,
  type NotificationSettings,
  type CaseStatus,
  type Registration,
  type ConfidantClient,
  type AnnualReportText,
  type RelayAttachmentRef,
  type RelayKeyHolder,
  type RelayText,
  type RelayRecipients,
  OPERATOR_CALLS,
  type OperatorArgs,
  type OperatorCall,
} from '../../protocol/index.js';
import { countPeriod, previousPeriod, publishReport, type PeriodCase } from '../../protocol/annual-report/aggregate.js';
import { splitOpener, startHelper } from './parallel-open.js';
import { forgetResume, loadResume, saveResume } from './resume-store.js';
import { cleanedFile } from './file-cleaning.js';
import { plainFileOf, type FileTransfers } from './file-transfers.js';
import type { Progress } from './rpc.js';

export function staffHandlers(client: ConfidantClient, transfers: FileTransfers) {
  /** Attachments sent for a relay not yet written, by id: their refs hold the keys of their bodies. */
  const relayAttachments = new Map<string, RelayAttachmentRef>();
  let session: StaffSession | undefined;
  /** The annual report's second thread (parallel-open.ts): started when the report page opens, kept while signed in. */
  let helper: ReturnType<typeof startHelper> | undefined;
  const periodHelper = () => (helper === undefined ? (helper = startHelper()) : helper);
  const stopHelper = () => {
    helper?.stop();
    helper = undefined;
  };
  const signedIn = (): StaffSession => {
    if (!session) throw Object.assign(new Error('Sign in first.'), { code: 'not_signed_in' });
    return session;
  };

  return {
    async setUpAccount(progress: Progress, token: string, username: string, displayName: string, passphrase: string) {
      progress('deriving');
      return setUpAccount(client, { token, username, displayName, passphrase });
    },

    async signIn(progress: Progress, username: string, passphrase: string, totp: string | undefined) {
      progress('deriving');
      stopHelper();
      await session?.logout().catch(() => {});
      session = await signIn(client, { username, passphrase, ...(totp ? { totp } : {}) });
      // Kept for a reload or a new tab; a browser without IndexedDB just signs in again then.
      const deviceKey = await newDeviceKey();
      await session
        .sealForResume(deviceKey)
        .then((record) => saveResume({ deviceKey, record }))
        .catch(() => {});
      return session.account;
    },

    /** The session a reloaded or new tab carries on, or null: signed out, expired, or never signed in here. */
    async resumeSession() {
      if (session) return session.account;
      const stored = await loadResume().catch(() => undefined);
      if (!stored) return null;
      try {
        session = await StaffSession.resume(client, stored.record, stored.deviceKey);
        return session.account;
      } catch (error) {
        // A session the server ended, or a record this browser's key does not open: gone for good.
        // Anything else (the network) leaves it for the next try.
        if ((error instanceof ApiError && error.status === 401) || error instanceof ProtocolError) await forgetResume().catch(() => {});
        return null;
      }
    },

    async recoverAccount(progress: Progress, username: string, recoveryKey: string, newPassphrase: string, totp: string | undefined) {
      progress('deriving');
      await recoverAccount(client, { username, recoveryKey, newPassphrase, ...(totp ? { totp } : {}) });
      return null;
    },

    async signOut() {
      stopHelper();
      await forgetResume().catch(() => {});
      await session?.logout().catch(() => {});
      session = undefined;
      // Attachments sent for a relay that was never written: their keys go with the session.
      relayAttachments.clear();
      return null;
    },

    async account() {
      return session?.account ?? null;
    },

    async notificationSettings() {
      return signedIn().notificationSettings();
    },

    async setNotificationSettings(_progress: Progress, settings: NotificationSettings) {
      return signedIn().setNotificationSettings(settings);
    },

    async listCases(_progress: Progress, query: CaseListQuery) {
      return signedIn().listCases(query);
    },

    async openCase(_progress: Progress, caseId: string) {
      return signedIn().openCase(caseId);
    },

    async reply(_progress: Progress, caseId: string, body: string, options: { feedback?: boolean } = {}) {
      await signedIn().reply(caseId, body, options);
      return signedIn().openCase(caseId);
    },

    /** Encrypts and sends a file (its cleaned copy when `clean`) for the reporter while reading it; answers the case opened again. */
    async attachCaseFile(progress: Progress, transferId: string, caseId: string, file: File, clean: boolean) {
      progress('preparing');
      await transfers.send(progress, transferId, await signedIn().attachCaseFile(caseId, plainFileOf(clean ? await cleanedFile(file) : file)));
      return signedIn().openCase(caseId);
    },

    /** Decrypts a file of the case into `target` (null: answers a Blob to save). */
    async downloadCaseFile(progress: Progress, caseId: string, fileId: string, target: FileSystemFileHandle | null) {
      return transfers.receive(progress, await signedIn().caseFileDownload(caseId, fileId), target);
    },

    async setStatus(_progress: Progress, caseId: string, status: CaseStatus) {
      return signedIn().setStatus(caseId, status);
    },

    /** Sets or changes the legal hold (the reason sealed here), or lifts it with a null reason; answers with the case as it now reads. */
    async setHold(_progress: Progress, caseId: string, reason: string | null) {
      if (reason === null) await signedIn().releaseHold(caseId);
      else await signedIn().hold(caseId, reason);
      return signedIn().openCase(caseId);
    },

    async saveRegistration(_progress: Progress, caseId: string, record: Registration) {
      return signedIn().saveRegistration(caseId, record);
    },

    /**
     * A phone call or meeting recorded as a case. The code leaves the worker only when the
     * reporter is to get one; for an advice-only contact it is dropped here.
     */
    async recordContact(progress: Progress, input: { channel: string; lang: string; minutes: string; registration: Registration; mailbox: boolean }) {
      progress('deriving');
      const made = await signedIn().recordContact(input);
      return { caseId: made.caseId, code: input.mailbox ? made.code : null };
    },

    /**
     * When the annual report page opens: starts the second thread and runs the opening of a
     * page of made-up cases on both, so that the report itself meets warm code, not WebAssembly
     * being compiled.
     */
    async prepareAnnualReport() {
      await signedIn().warmUpPeriodOpening(splitOpener(periodHelper()?.open ?? null));
      return null;
    },

    /**
     * The annual report: fetches the period and the one before it, decrypts every registration
     * here in the worker, counts, and returns only the suppressed tables. The location table's
     * rows are the chosen channels' lists as the signed-in account has them.
     */
    async annualReport(progress: Progress, request: { from: string; to: string; channels: string[]; threshold: number }) {
      const period = { from: request.from, to: request.to };
      const previous = previousPeriod(period);
      const cases: PeriodCase[] = [];
      let unread = 0;
      progress('fetching');
      const opener = splitOpener(periodHelper()?.open ?? null);
      for (const channel of request.channels) {
        const found = await signedIn().periodCases({ from: previous.from, to: period.to, channel }, { opener });
        cases.push(...found.cases);
        unread += found.unread;
      }
      progress('counting');
      const now = new Date();
      const served = signedIn().account.channels;
      // `?? []`: a session resumed from before the lists existed has none.
      const options = { locations: request.channels.flatMap((slug) => served.find((c) => c.slug === slug)?.locations ?? []) };
      return { report: publishReport(countPeriod(cases, period, now, options), countPeriod(cases, previous, now, options), request.threshold), unread };
    },

    /** The channel's advisers with the fingerprints colleagues compare before a grant. */
    async channelAdvisers(_progress: Progress, slug: string) {
      return (await client.getChannel(slug)).advisers.map((a) => ({ ...a, fingerprint: fingerprintOf(a) }));
    },

    async fingerprint() {
      return signedIn().fingerprint;
    },

    async grant(_progress: Progress, caseId: string, keyId: string, boxPublicKey: string) {
      return signedIn().grant(caseId, { keyId, boxPublicKey });
    },

    /** Who a relay of the case will be sealed to, with fingerprints to compare. */
    async relayRecipients(_progress: Progress, caseId: string) {
      const holders = await client.relayRecipients(signedIn().token, caseId);
      const withPrint = (h: RelayKeyHolder) => ({ ...h, fingerprint: fingerprintOf(h) });
      return { ...holders, recipients: holders.recipients.map(withPrint), advisers: holders.advisers.map(withPrint) };
    },

    async annualReportRecipients(_progress: Progress, organisation: string) {
      const holders = await signedIn().annualReportRecipients(organisation);
      const withPrint = (h: RelayKeyHolder) => ({ ...h, fingerprint: fingerprintOf(h) });
      return { ...holders, recipients: holders.recipients.map(withPrint), advisers: holders.advisers.map(withPrint) };
    },

    async sendAnnualReport(_progress: Progress, organisation: string, text: RelayText & { annualReport: AnnualReportText }, shown: RelayRecipients) {
      return signedIn().sendAnnualReport(organisation, text, shown);
    },

    /**
     * Encrypts and sends a document for a relay of the case (its cleaned copy when `clean`);
     * answers its id. Its ref, with the body's key, stays in this worker until createRelay names it.
     */
    async attachToRelay(progress: Progress, transferId: string, caseId: string, file: File, clean: boolean) {
      progress('preparing');
      const { upload, ref } = await signedIn().attachToRelay(caseId, plainFileOf(clean ? await cleanedFile(file) : file));
      await transfers.send(progress, transferId, upload);
      relayAttachments.set(ref.fileId, ref);
      return ref.fileId;
    },

    /** Writes the relay, naming the attachments sent with attachToRelay (then forgotten here). */
    async createRelay(_progress: Progress, caseId: string, body: string, shown: RelayRecipients | undefined, attachmentIds: string[] = []) {
      const refs = attachmentIds.map((id) => {
        const ref = relayAttachments.get(id);
        if (!ref) throw new ProtocolError('unknown_file', 'this page sent no such attachment: attach the document again');
        return ref;
      });
      const created = await signedIn().createRelay(caseId, body, shown, refs);
      for (const id of attachmentIds) relayAttachments.delete(id);
      return created;
    },

    /** Decrypts an attachment of a relay into `target` (null: answers a Blob to save). */
    async downloadRelayAttachment(progress: Progress, relayId: string, fileId: string, target: FileSystemFileHandle | null) {
      return transfers.receive(progress, await signedIn().relayAttachmentDownload(relayId, fileId), target);
    },

    async sendRelay(_progress: Progress, relayId: string) {
      return signedIn().sendRelay(relayId);
    },

    async listRelays(_progress: Progress, query: { before?: string; limit?: number }) {
      return signedIn().listRelays(query);
    },

    async openRelay(_progress: Progress, relayId: string) {
      return signedIn().openRelay(relayId);
    },

    async postRelayMessage(_progress: Progress, relayId: string, body: string) {
      await signedIn().postRelayMessage(relayId, body);
      return signedIn().openRelay(relayId);
    },

    async startTotp(progress: Progress, passphrase: string) {
      progress('deriving');
      return signedIn().startTotp(passphrase);
    },

    /** The operator's console: one of OPERATOR_CALLS with its arguments after the token. */
    async operator(_progress: Progress, name: OperatorCall, args: unknown[]) {
      if (!OPERATOR_CALLS.includes(name)) throw Object.assign(new Error(`Not an operator call: ${String(name)}`), { code: 'bad_call' });
      return signedIn().operator(name, ...(args as OperatorArgs<typeof name>));
    },

    async confirmTotp(_progress: Progress, code: string) {
      await signedIn().confirmTotp(code);
      return null;
    },
  };
}

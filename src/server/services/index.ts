import { ready } from '../../protocol/index.js';
import type { Config } from '../config.js';
import type { DatabaseHandle } from '../db/connection.js';
import { createAccounts } from './accounts.js';
import { createAdministration } from './administration.js';
import { createAudit } from './audit.js';
import { createCases } from './cases.js';
import { createChannels } from './channels.js';
import { createFileBodies } from './file-bodies.js';
import { createFiles } from './files.js';
import { createMailbox } from './mailbox.js';
import { createPeriodRegistrations } from './period-registrations.js';
import { createProofOfWork } from './proof-of-work.js';
import { createRelays } from './relays.js';
import { createReporterEvents } from './reporter-events.js';
import { createReports } from './reports.js';
import { createMailOutbox } from './mail-outbox.js';
import { createNotificationSettings } from './notifications.js';
import { createRetention } from './retention.js';
import { loadSecrets } from './settings.js';

/** Every service, built once per app from the configuration and the database. */
export async function createServices(config: Config, database: DatabaseHandle) {
  // Signature and proof-of-work checks use libsodium through the protocol module.
  await ready();
  const { db } = database;
  const secrets = await loadSecrets(db);
  const channels = createChannels(db);
  const proofOfWork = createProofOfWork(db, secrets.powKey);
  const cases = createCases(db);
  // The S3 client is loaded only where a bucket is configured: 200 ms and tens of MiB otherwise spent for nothing.
  const fileBodies = config.s3 ? (await import('./s3-file-bodies.js')).createS3FileBodies(config.s3) : createFileBodies(config.filesDir);
  return {
    secrets,
    /** The operator's work as the `confidant` command does it (audited as 'operator'). */
    administration: createAdministration(db, { powDifficulty: config.powDifficulty }),
    /** The same, audited as the operator account that does it (the console). */
    administrationAs: (accountId: string) => createAdministration(db, { powDifficulty: config.powDifficulty, actor: accountId }),
    channels,
    proofOfWork,
    reports: createReports(db, channels, proofOfWork),
    mailbox: createMailbox(db, config.limits, secrets.serverSecret),
    reporterEvents: createReporterEvents(db),
    cases,
    fileBodies,
    files: createFiles(db, fileBodies, config.limits, cases),
    periodRegistrations: createPeriodRegistrations(db),
    relays: createRelays(db, cases),
    retention: createRetention(db),
    notificationSettings: createNotificationSettings(db),
    mailOutbox: createMailOutbox(db, { publicUrl: config.publicUrl, digestMinuteUtc: config.mail?.digestMinuteUtc ?? 0 }),
    audit: createAudit(db),
    accounts: createAccounts(db, secrets, { requireTotp: config.requireTotp, issuer: 'Confidant' }),
  };
}

export type Services = Awaited<ReturnType<typeof createServices>>;

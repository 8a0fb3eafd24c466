/** Expired challenges and sessions are forgotten, live ones kept; reporter events after their retention. */
import t from 'tap';
import { randomBytes } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { cases, reporterEvents, spentMailboxChallenges, spentPowChallenges } from '../src/server/db/schema.js';
import { REPORTER_EVENTS_DAYS } from '../src/server/services/reporter-events.js';
import { buildTestApp } from './helper.js';
import { addChannel } from './fixtures.js';

t.test('sweeps remove only what has expired', async (t) => {
  const { app, database } = await buildTestApp(t);
  const { db } = database;
  const now = new Date();
  const hour = 3600 * 1000;
  const live = randomBytes(32);
  await db.insert(spentMailboxChallenges).values([
    { challengeHash: randomBytes(32), expiresAt: new Date(now.getTime() - hour) },
    { challengeHash: live, expiresAt: new Date(now.getTime() + hour) },
  ]);
  await db.insert(spentPowChallenges).values([
    { challengeHash: randomBytes(32), expiresAt: new Date(now.getTime() - hour) },
    { challengeHash: randomBytes(32), expiresAt: new Date(now.getTime() + hour) },
  ]);
  await app.services.mailbox.sweep(now);
  await app.services.proofOfWork.sweep(now);
  await app.services.accounts.sweep(now);
  t.same((await db.select().from(spentMailboxChallenges)).map((r) => Buffer.from(r.challengeHash)), [live], 'one spent mailbox challenge is still live');
  const spent = await db.select({ n: sql<number>`count(*)::int` }).from(spentPowChallenges);
  t.equal(spent[0]?.n, 1, 'one spent challenge is still live');
});

t.test(`the housekeeping sweep forgets reporter events after ${REPORTER_EVENTS_DAYS} days`, async (t) => {
  const { app, database } = await buildTestApp(t);
  const { db } = database;
  const channel = await addChannel(db, 'bewaar');
  const caseId = 'case_housekeeping';
  const hour = 3600 * 1000;
  const now = Date.now();
  await db.insert(cases).values({
    id: caseId,
    channelId: channel.id,
    mailboxId: 'mailbox_housekeeping',
    reporterSignPublicKey: randomBytes(32),
    reporterBoxPublicKey: randomBytes(32),
    reporterWrap: randomBytes(80),
    reportNonce: randomBytes(24),
    reportCiphertext: randomBytes(4096 + 16),
    receivedAt: new Date(Math.floor(now / hour) * hour),
  });
  const old = new Date(Math.floor(now / hour) * hour - (REPORTER_EVENTS_DAYS * 24 + 1) * hour);
  const recent = new Date(Math.floor(now / hour) * hour - (REPORTER_EVENTS_DAYS * 24 - 1) * hour);
  await db.insert(reporterEvents).values([
    { hour: old, action: 'submitted', caseId },
    { hour: recent, action: 'message', caseId },
  ]);
  await app.services.reporterEvents.sweep();
  t.strictSame((await db.select({ action: reporterEvents.action }).from(reporterEvents)).map((r) => r.action), ['message'], 'only the event within the retention is kept');
});

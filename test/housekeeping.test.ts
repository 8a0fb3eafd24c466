/** Expired challenges and sessions are forgotten, live ones kept. */
import t from 'tap';
import { randomBytes } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { mailboxChallenges, spentPowChallenges } from '../src/server/db/schema.js';
import { buildTestApp } from './helper.js';

t.test('sweeps remove only what has expired', async (t) => {
  const { app, database } = await buildTestApp(t);
  const { db } = database;
  const now = new Date();
  const hour = 3600 * 1000;
  await db.insert(mailboxChallenges).values([
    { challenge: randomBytes(32), mailboxId: 'expired', expiresAt: new Date(now.getTime() - hour) },
    { challenge: randomBytes(32), mailboxId: 'live', expiresAt: new Date(now.getTime() + hour) },
  ]);
  await db.insert(spentPowChallenges).values([
    { challengeHash: randomBytes(32), expiresAt: new Date(now.getTime() - hour) },
    { challengeHash: randomBytes(32), expiresAt: new Date(now.getTime() + hour) },
  ]);
  await app.services.mailbox.sweep(now);
  await app.services.proofOfWork.sweep(now);
  await app.services.accounts.sweep(now);
  t.same((await db.select({ id: mailboxChallenges.mailboxId }).from(mailboxChallenges)).map((r) => r.id), ['live']);
  const spent = await db.select({ n: sql<number>`count(*)::int` }).from(spentPowChallenges);
  t.equal(spent[0]?.n, 1, 'one spent challenge is still live');
});

/**
 * The operator's removal of an adviser racing an adviser's grant of a case to that adviser,
 * through the real HTTP app. PGlite runs one query at a time and hides races: this proves
 * something on PostgreSQL only, and is skipped elsewhere.
 */
import t from 'tap';
import { randomBytes } from 'node:crypto';
import { and, inArray } from 'drizzle-orm';
import { adviserChannels, caseWraps, cases } from '../src/server/db/schema.js';
import { addAdviser, addChannel, sessionOf } from './fixtures.js';
import { buildTestApp, databaseKind } from './helper.js';

const ROUNDS = 12;

t.test('an adviser removed from a channel while a colleague grants them a case keeps no key to it', { skip: databaseKind !== 'postgres' && 'races need PostgreSQL (PGlite serialises queries)' }, async (t) => {
  const { app, database, baseUrl } = await buildTestApp(t);
  const { db } = database;
  const channel = await addChannel(db, 'race-grant');
  const anna = await addAdviser(db, 'race-grant', 'Anna');
  const token = await sessionOf(db, anna.id);
  const outcomes: Record<string, number> = {};
  const caseIds: string[] = [];
  const leavers: string[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const bram = await addAdviser(db, 'race-grant', `Bram ${round}`);
    leavers.push(bram.id);
    const caseId = randomBytes(16).toString('base64url');
    caseIds.push(caseId);
    await db.insert(cases).values({
      id: caseId,
      channelId: channel.id,
      mailboxId: randomBytes(16).toString('base64url'),
      reporterSignPublicKey: randomBytes(32),
      reporterBoxPublicKey: randomBytes(32),
      reporterWrap: randomBytes(80),
      reportNonce: randomBytes(24),
      reportCiphertext: randomBytes(4096 + 16),
      receivedAt: new Date(Math.floor(Date.now() / 3_600_000) * 3_600_000),
    });
    await db.insert(caseWraps).values({ caseId, accountId: anna.id, wrap: randomBytes(80) });
    const [grant] = await Promise.all([
      fetch(`${baseUrl}/api/v1/cases/${caseId}/grants`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ keyId: bram.id, wrap: randomBytes(80).toString('base64url') }),
      }).then(async (r) => `${r.status} ${((await r.json()) as { error?: string }).error ?? ''}`.trim()),
      app.services.administration.removeAdviser('race-grant', bram.username),
    ]);
    outcomes[grant] = (outcomes[grant] ?? 0) + 1;
  }
  t.comment(`grant answers: ${JSON.stringify(outcomes)}`);
  t.same(Object.keys(outcomes).filter((k) => k !== '201' && k !== '400 invalid_key_id'), [], 'each grant either went through or found the adviser gone');
  t.same(await db.select().from(caseWraps).where(and(inArray(caseWraps.accountId, leavers), inArray(caseWraps.caseId, caseIds))), [], 'no removed adviser holds a key to a case of the channel');
  t.same(await db.select().from(adviserChannels).where(inArray(adviserChannels.accountId, leavers)), [], 'and none is a member');
});

/**
 * Resuming a staff session in a reloaded or new tab (src/protocol/staff-resume.ts, SECURITY.md):
 * what is stored holds nothing readable, opens only with both the browser's key and the live
 * session's resume key, and stops opening when the session ends.
 */
import t from 'tap';
import { ApiError, ConfidantClient, newDeviceKey, setUpAccount, signIn, StaffSession, submitNewReport } from '../src/protocol/index.js';
import { openResume, openResumeToken } from '../src/protocol/staff-resume.js';
import { createAdministration } from '../src/server/services/administration.js';
import { apiFailure, buildTestApp } from './helper.js';

const passphrase = 'paard batterij nietje correct';

t.test('a sealed session resumes in a new tab, holds nothing readable, and dies with the session', async (t) => {
  const { baseUrl, database } = await buildTestApp(t);
  const admin = createAdministration(database.db, { powDifficulty: 0 });
  await admin.createOrganisation({ slug: 'gemeente', name: 'Gemeente Voorbeeld' });
  await admin.createChannel({ slug: 'meldpunt', name: 'Meldpunt', organisation: 'gemeente' });
  const client = new ConfidantClient({ baseUrl });
  await setUpAccount(client, { token: (await admin.createInvite({ role: 'adviser', channel: 'meldpunt' })).token, username: 'anna', displayName: 'Anna de Vries', passphrase });
  const submitted = await submitNewReport(client, { slug: 'meldpunt', report: { v: 1, lang: 'nl', answers: { what: 'Facturen worden gesplitst.' }, anonymity: 'anonymous' } });

  const session = await signIn(client, { username: 'anna', passphrase });
  const deviceKey = await newDeviceKey();
  t.equal(deviceKey.extractable, false, 'the browser key cannot be exported');
  const record = await session.sealForResume(deviceKey);
  const stored = JSON.stringify(record);
  for (const [what, secret] of [['the token', session.token], ['the user name', 'anna'], ['the display name', 'Anna de Vries'], ['the fingerprint', session.fingerprint]] as const) {
    t.notOk(stored.includes(secret), `the stored record does not hold ${what}`);
  }

  // A new tab: a new client, the same stored record and browser key.
  const resumed = await StaffSession.resume(new ConfidantClient({ baseUrl }), record, deviceKey);
  t.equal(resumed.token, session.token, 'the same session');
  t.same(resumed.account, session.account, 'the same account');
  t.equal(resumed.fingerprint, session.fingerprint, 'the same keys');
  const opened = await resumed.openCase(submitted.caseId);
  t.equal(opened.report.answers.what, 'Facturen worden gesplitst.', 'the resumed keys open a case');

  await t.rejects(StaffSession.resume(client, record, await newDeviceKey()), { code: 'decrypt_failed' }, 'another browser’s key opens nothing');
  const resumeKey = Buffer.from((await client.resumeKey(session.token)).key, 'base64url');
  await t.rejects(openResume(record, deviceKey, new Uint8Array(32).fill(7)), { code: 'decrypt_failed' }, 'another resume key opens nothing');
  t.equal(await openResumeToken(record, deviceKey), session.token, 'the token opens with the browser key alone (it asks for the resume key)');
  const tampered = { ...record, state: { ...record.state, ciphertext: `${record.state.ciphertext.slice(0, -4)}AAAA` } };
  await t.rejects(openResume(tampered, deviceKey, resumeKey), { code: 'decrypt_failed' }, 'a changed record opens nothing');
  await resumed.logout();
  const ended = await apiFailure(StaffSession.resume(client, record, deviceKey).then(() => undefined));
  t.ok(ended instanceof ApiError, 'after sign-out the record no longer resumes');
  t.match(ended, { status: 401, code: 'not_signed_in' });
});

/**
 * design.md invariants 1 and 2, as wide as the service is today: every encrypted field of every
 * role is written through the real client flows (reporter, adviser, organisation recipient,
 * with staff accounts the client makes from invites), each with a value of its own. Those
 * values, and every code, passphrase, derived key, secret key, recovery key, case key, relay key
 * and token involved, are searched for in a dump of every table and in the logs, as they are
 * and as hex, base64 and base64url; so are the client's address and user agent.
 *
 * Files: one of each author (reporter and adviser), sealed with the protocol module and sent
 * over the tus routes as a client sends them; their names, types, contents and file keys are
 * searched for in the database, the logs and the file store's folder (bodies and upload
 * records). The client's own upload flow (the browser's tus client) is not used here. Not
 * covered: six-digit TOTP codes, too short to search for without chance hits; the TOTP secret is
 * kept by the server by design (SECURITY.md), so it is checked to be only in its column.
 */
import { randomBytes } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import t from 'tap';
import { and, eq, sql } from 'drizzle-orm';
import {
  fromBase64url,
  ConfidantClient,
  FILE_CHUNK_BYTES,
  FileEncryptor,
  newFileKey,
  sealFileHeader,
  deriveMailboxKeys,
  deriveStaffMaster,
  openKeyBundle,
  openMailbox,
  parseRecoveryKey,
  readBack,
  recoverAccount,
  setUpAccount,
  signIn,
  sodium,
  submitNewReport,
  toBase64url,
  unsealKey,
  type FetchLike,
  type StaffSecretKeys,
  emptyRegistration,
} from '../src/protocol/index.js';
import type { Database } from '../src/server/db/connection.js';
import { caseWraps, cases, relayWraps, settings, staffAccounts } from '../src/server/db/schema.js';
import { createAdministration } from '../src/server/services/administration.js';
import { totpCode, totpStep } from '../src/server/services/totp.js';
import { buildTestApp, mailboxToken, type LogCapture } from './helper.js';
import { fromBase32 } from './fixtures.js';

interface Place {
  bytes: Buffer;
  /** Holds bytea values: searched for bytes, not for short text that random bytes could contain. */
  binary: boolean;
}

/** Every value of every table of every schema, by table and column, and the rows per table. */
async function dumpDatabase(db: Database): Promise<{ places: Map<string, Place>; rowCounts: Record<string, number> }> {
  // Both drivers answer execute() with { rows }; the shared drizzle type leaves it unknown.
  const rows = async (query: string) => ((await db.execute(sql.raw(query))) as unknown as { rows: Array<Record<string, unknown>> }).rows;
  const tables = await rows(
    `select table_schema, table_name from information_schema.tables
     where table_type = 'BASE TABLE' and table_schema not in ('pg_catalog', 'information_schema') order by 1, 2`,
  );
  const parts = new Map<string, { chunks: Buffer[]; binary: boolean }>();
  const rowCounts: Record<string, number> = {};
  for (const { table_schema: schema, table_name: table } of tables) {
    const name = schema === 'public' ? String(table) : `${String(schema)}.${String(table)}`;
    const contents = await rows(`select * from "${String(schema)}"."${String(table)}"`);
    rowCounts[name] = contents.length;
    for (const row of contents) {
      for (const [column, value] of Object.entries(row)) {
        const part = parts.get(`${name}.${column}`) ?? { chunks: [], binary: false };
        parts.set(`${name}.${column}`, part);
        if (value instanceof Uint8Array) part.binary = true;
        part.chunks.push(
          value instanceof Uint8Array
            ? Buffer.from(value)
            : Buffer.from(value instanceof Date ? value.toISOString() : JSON.stringify(value) ?? 'null'),
          Buffer.from('\n'),
        );
      }
    }
  }
  const places = new Map([...parts].map(([name, { chunks, binary }]) => [name, { bytes: Buffer.concat(chunks), binary }]));
  return { places, rowCounts };
}

/**
 * The forms a value could be kept or logged in: as it is, hex, base64 and base64url. Inside a
 * longer value, base64 depends on where the bytes start, so each of the three alignments is
 * searched, without the characters it shares with the bytes around it.
 */
function forms(value: Buffer): Array<[string, Buffer]> {
  const hex = value.toString('hex');
  const out: Array<[string, Buffer]> = [['raw', value], ['hex', Buffer.from(hex)], ['HEX', Buffer.from(hex.toUpperCase())]];
  for (const encoding of ['base64', 'base64url'] as const) {
    for (const shift of [0, 1, 2]) {
      const text = Buffer.concat([Buffer.alloc(shift), value]).toString(encoding);
      out.push([`${encoding}+${shift}`, Buffer.from(text.slice(shift === 0 ? 0 : 4, -4))]);
    }
  }
  return out;
}

/**
 * Where a value is found, as "place (form)", the first form per place. A value of a few bytes
 * is searched for as it is, either only as text (outside bytea columns) or only in bytea
 * columns: in any other form, or as text in random ciphertext, it would turn up by chance.
 */
function locator(places: Map<string, Place>, logs: LogCapture) {
  const all = [...places, ['logs', { bytes: Buffer.from(logs.text), binary: false }] as const];
  return (value: Buffer | string, options: { only?: 'text' | 'bytes' } = {}): string[] => {
    const needle = Buffer.from(value);
    const candidates = options.only ? ([['raw', needle]] as Array<[string, Buffer]>) : forms(needle);
    const found: string[] = [];
    for (const [name, place] of all) {
      if (options.only && place.binary !== (options.only === 'bytes')) continue;
      const hit = candidates.find(([, form]) => form.length > 0 && place.bytes.includes(form));
      if (hit) found.push(`${name} (${hit[0]})`);
    }
    return found;
  };
}

t.test('privacy invariant: every encrypted field and secret of every role, files included, stays out of the database, the file store and the logs', async (t) => {
  // Client and server share one event loop here: the client's Argon2 is not load to shed.
  const { app, baseUrl, database, logs, config } = await buildTestApp(t, { LOG_LEVEL: 'trace', MAX_EVENT_LOOP_DELAY_MS: '0' });
  const { db } = database;
  const admin = createAdministration(db, { powDifficulty: 0 });
  await admin.createOrganisation({ slug: 'privacy-org', name: 'Organisation' });
  await admin.createChannel({ slug: 'privacy', name: 'Channel', organisation: 'privacy-org' });

  const ua = 'Mozilla/5.0 (X11; Linux x86_64) UA-FINGERPRINT-5123';
  const forwarded = '203.0.113.99';
  // Every role's client as a browser behind a proxy would send it: a user agent and forwarding headers.
  const browserFetch: FetchLike = (url, init) =>
    fetch(url, { ...init, headers: { ...init.headers, 'user-agent': ua, 'x-forwarded-for': forwarded, 'x-real-ip': forwarded } });
  const client = new ConfidantClient({ baseUrl, fetch: browserFetch });

  // What must never be found, by name. A run-unique suffix keeps each value one of a kind.
  const run = randomBytes(4).toString('hex');
  const needles = new Map<string, Buffer>();
  const marker = (name: string) => {
    const value = `MARKER-${name.replaceAll(' ', '-')}-${run}`;
    needles.set(name, Buffer.from(value));
    return value;
  };
  // Copied: the client wipes keys after use.
  const secret = (name: string, value: Uint8Array | string) => needles.set(name, Buffer.from(value));
  const secretKeys = (owner: string, keys: StaffSecretKeys) => {
    secret(`${owner} box secret key`, keys.boxSecretKey);
    secret(`${owner} sign secret key`, keys.signSecretKey);
    // An Ed25519 secret key is seed ‖ public key: the seed alone is the secret.
    secret(`${owner} sign seed`, keys.signSecretKey.slice(0, 32));
  };

  // Staff: real accounts the client sets up from invites.
  /** The keys a passphrase derives, and the secret keys the stored bundle opens to with them. */
  const passphraseKeys = async (label: string, username: string, passphrase: string): Promise<StaffSecretKeys> => {
    const master = await deriveStaffMaster(passphrase, await client.prelogin(username));
    secret(`${label} authKey`, master.authKey);
    secret(`${label} wrapKey`, master.wrapKey);
    secret(`${label} master`, Buffer.concat([master.authKey, master.wrapKey]));
    const [row] = await db.select().from(staffAccounts).where(eq(staffAccounts.username, username));
    return openKeyBundle(master.wrapKey, { nonce: toBase64url(row!.keyBundleNonce), ciphertext: toBase64url(row!.keyBundle) }, username);
  };
  const setUpStaff = async (username: string, invite: { token: string }) => {
    secret(`${username}'s invite token`, invite.token);
    const passphrase = marker(`${username} passphrase`);
    const { recoveryKey } = await setUpAccount(client, { token: invite.token, username, displayName: username, passphrase });
    secret(`${username} recovery key (as displayed)`, recoveryKey);
    secret(`${username} recovery key (typed without dashes)`, recoveryKey.replaceAll('-', ''));
    secret(`${username} recovery key`, parseRecoveryKey(recoveryKey));
    const session = await signIn(client, { username, passphrase });
    secret(`${username} session token`, session.token);
    const keys = await passphraseKeys(`${username} passphrase`, username, passphrase);
    secretKeys(username, keys);
    return { username, passphrase, recoveryKey, session, keys };
  };
  const anna = await setUpStaff('anna', await admin.createInvite({ role: 'adviser', channel: 'privacy' }));
  const olga = await setUpStaff('olga', await admin.createInvite({ role: 'recipient', organisation: 'privacy-org' }));
  const publicBox = (keys: StaffSecretKeys) => sodium().crypto_scalarmult_base(keys.boxSecretKey);

  // The reporter: a confidential report with identity, messages, consent, a new code.
  const submitted = await submitNewReport(client, {
    slug: 'privacy',
    report: {
      v: 1,
      lang: 'nl',
      answers: { what: marker('what'), when: marker('when'), where: marker('where'), who: marker('who'), how: marker('how') },
      anonymity: 'confidential',
      identity: { name: marker('identity name'), contact: marker('identity contact') },
    },
  });
  const caseId = submitted.caseId;

  // The adviser: reads, acknowledges, replies, registers, holds and relays.
  t.equal((await anna.session.openCase(caseId)).report.answers.what, needles.get('what')?.toString(), 'the adviser reads the report');
  await anna.session.setStatus(caseId, 'acknowledged');
  await anna.session.reply(caseId, marker('adviser reply'));
  await anna.session.saveRegistration(caseId, { ...emptyRegistration(), kind: 'report', notes: marker('registration notes') });
  await anna.session.hold(caseId, marker('legal hold reason'));
  t.equal((await anna.session.openCase(caseId)).hold?.reason, needles.get('legal hold reason')?.toString(), 'the adviser reads the hold reason back');
  const relayText = marker('relay text and reporter copy');
  const approved = await anna.session.createRelay(caseId, relayText);

  const mailbox = await openMailbox(client, submitted.code);
  const copy = mailbox.view.relays.find((r) => r.relayId === approved.relayId);
  t.match(copy?.ok ? copy.copy : null, { v: 1, body: relayText }, "the reporter's copy is the relay text");
  await mailbox.postMessage(marker('reporter message'));
  await mailbox.consent(approved.relayId, 'approve');

  // The relay thread, from both sides.
  await anna.session.sendRelay(approved.relayId);
  const read = await olga.session.openRelay(approved.relayId);
  t.match(read.text, { v: 1, body: relayText }, 'the organisation reads the relay');
  t.equal(read.approval, 'verified', 'and checks it against the approval');
  // The approval's key is inside the relay plaintext: the server must not see it.
  secret('relay approval key', fromBase64url(String(read.text.approvalKey)));
  await olga.session.postRelayMessage(approved.relayId, marker('organisation relay message'));
  await anna.session.postRelayMessage(approved.relayId, marker('adviser relay message'));

  // A file of each author: header sealed under the case key, body a secretstream, sent over tus.
  const fileCaseKey = await anna.session.caseKey(caseId);
  const sendFile = async (author: 'reporter' | 'adviser', token: string) => {
    const fileId = toBase64url(randomBytes(16));
    const key = newFileKey();
    secret(`${author} file key`, fromBase64url(key));
    const name = `${marker(`${author} file name`)}.pdf`;
    const type = `application/x-${marker(`${author} file type`).toLowerCase()}`;
    const content = Buffer.concat([Buffer.from(marker(`${author} file content`)), randomBytes(FILE_CHUNK_BYTES)]);
    const header = sealFileHeader(fileCaseKey, caseId, fileId, { v: 1, name, type, size: content.length, key });
    const encryptor = new FileEncryptor(fromBase64url(key));
    const body = Buffer.concat([encryptor.header, encryptor.chunk(content.subarray(0, FILE_CHUNK_BYTES), false), encryptor.chunk(content.subarray(FILE_CHUNK_BYTES), true)]);
    const made = author === 'reporter' ? await client.createMailboxFile(token, { fileId, header, bytes: body.length }) : await client.createCaseFile(token, caseId, { fileId, header, bytes: body.length });
    const sent = await fetch(`${baseUrl}${made.uploadUrl}`, {
      method: 'PATCH',
      headers: {
        authorization: `Bearer ${token}`, 'tus-resumable': '1.0.0', 'upload-offset': '0', 'content-type': 'application/offset+octet-stream',
        'user-agent': ua, 'x-forwarded-for': forwarded, 'x-real-ip': forwarded,
      },
      body,
    });
    t.equal(sent.status, 204, `the ${author}'s file is sent`);
  };
  await sendFile('reporter', await mailboxToken(baseUrl, submitted.code));
  await sendFile('adviser', anna.session.token);
  fileCaseKey.fill(0);
  t.equal((await mailbox.refresh()).files.length, 2, 'the reporter sees both files');

  // A relay the reporter declines, then a new code.
  const declined = await anna.session.createRelay(caseId, marker('declined relay text'));
  await mailbox.refresh();
  await mailbox.consent(declined.relayId, 'decline');
  const newCode = await mailbox.rotate();
  const again = await openMailbox(client, newCode);
  await again.postMessage(marker('reporter message after new code'));
  t.same(
    (await again.refresh()).messages.map((m) => (m.ok ? m.message.body : m.error)),
    [needles.get('adviser reply'), needles.get('reporter message'), needles.get('reporter message after new code')].map(String),
    'the reporter reads the whole conversation with the new code',
  );
  await again.close();

  for (const [name, code] of [['code', submitted.code], ['new code', newCode]] as const) {
    const read = readBack(code);
    if (!read.ok) throw new Error('code did not read back');
    const keys = await deriveMailboxKeys(read.body);
    secret(`${name} (as displayed)`, code);
    secret(`${name} (body)`, read.body);
    secret(`${name} seed`, keys.seed);
    secret(`${name} box secret key`, keys.boxSecretKey);
    secret(`${name} sign secret key`, keys.signSecretKey);
    secret(`${name} sign seed`, keys.signSecretKey.slice(0, 32));
    if (name === 'new code') {
      const [row] = await db.select().from(cases).where(eq(cases.id, caseId));
      secret('case key (reporter wrap)', unsealKey(toBase64url(row!.reporterWrap!), keys.boxPublicKey, keys.boxSecretKey));
    }
  }
  const [caseWrap] = await db.select().from(caseWraps).where(and(eq(caseWraps.caseId, caseId), eq(caseWraps.accountId, anna.session.account.id)));
  secret('case key', unsealKey(toBase64url(caseWrap!.wrap), publicBox(anna.keys), anna.keys.boxSecretKey));
  t.same(needles.get('case key'), needles.get('case key (reporter wrap)'), "the adviser's and the reporter's wraps hold one case key");
  needles.delete('case key (reporter wrap)');
  for (const [label, relay] of [['relay key', approved], ['declined relay key', declined]] as const) {
    const keys: Buffer[] = [];
    for (const holder of [anna, olga]) {
      const [wrap] = await db.select().from(relayWraps).where(and(eq(relayWraps.relayId, relay.relayId), eq(relayWraps.accountId, holder.session.account.id)));
      keys.push(Buffer.from(unsealKey(toBase64url(wrap!.wrap), publicBox(holder.keys), holder.keys.boxSecretKey)));
    }
    t.same(keys[0], keys[1], `the adviser and the organisation hold one ${label}`);
    secret(label, keys[0]!);
  }

  // Staff secrets over an account's life: a new passphrase, then a recovery with the recovery key.
  for (const member of [anna, olga]) {
    const { username } = member;
    const changed = marker(`${username} changed passphrase`);
    await member.session.changePassphrase(member.passphrase, changed);
    t.same(await passphraseKeys(`${username} changed passphrase`, username, changed), member.keys, `${username}: the new passphrase seals the same keys`);
    const recovered = marker(`${username} passphrase after recovery`);
    await recoverAccount(client, { username, recoveryKey: member.recoveryKey, newPassphrase: recovered });
    t.same(await passphraseKeys(`${username} passphrase after recovery`, username, recovered), member.keys, `${username}: recovery seals the same keys`);
    member.passphrase = recovered;
    member.session = await signIn(client, { username, passphrase: recovered });
    secret(`${username} session token after recovery`, member.session.token);
  }

  // TOTP: the server makes and keeps the secret (SECURITY.md); it must stay out of the logs.
  const enrolment = await olga.session.startTotp(olga.passphrase);
  const totpSecret = fromBase32(enrolment.secret);
  const step = totpStep(new Date());
  await olga.session.confirmTotp(totpCode(totpSecret, step));
  const withTotp = await signIn(client, { username: 'olga', passphrase: olga.passphrase, totp: totpCode(totpSecret, step + 1) });
  secret('olga session token with TOTP', withTotp.token);
  secret('TOTP secret (base32)', enrolment.secret);
  secret('TOTP enrolment URI', enrolment.uri);

  // The search.
  const dump = await dumpDatabase(db);
  for (const name of await readdir(config.filesDir)) {
    dump.places.set(`file store ${name}`, { bytes: await readFile(path.join(config.filesDir, name)), binary: !name.endsWith('.json') });
  }
  t.equal([...dump.places.keys()].filter((place) => place.startsWith('file store ')).length, 4, 'the file store holds two bodies and their upload records (the search reads them)');
  const locate = locator(dump.places, logs);
  t.match(
    dump.rowCounts,
    { cases: 1, case_wraps: 1, messages: 3, registrations: 1, relays: 2, relay_messages: 2, relay_wraps: 4, staff_accounts: 2, files: 2 },
    'every flow wrote its rows',
  );
  t.ok(logs.lines.length > 30, 'requests were logged');
  t.ok(locate(caseId).some((place) => place.startsWith('cases.id ')), 'the dump holds the case (the search reads real rows)');
  t.same(locate(totpSecret), ['staff_accounts.totp_secret (raw)'], 'the TOTP secret is only where the server keeps it (the search finds bytes)');
  for (const [name, value] of needles) t.same(locate(value), [], `nowhere: ${name}`);
  for (const [name, value] of [
    ['user agent', ua],
    ['user agent fingerprint', 'UA-FINGERPRINT-5123'],
    ['forwarded address', forwarded],
    ['IPv4 loopback', '127.0.0.1'],
    ['IPv4-mapped loopback', '::ffff:127.0.0.1'],
  ] as const) {
    t.same(locate(value), [], `nowhere: ${name}`);
  }
  t.same(locate('::1', { only: 'text' }), [], 'nowhere as text: IPv6 loopback');
  for (const [name, bytes] of [
    ['IPv4 loopback', [127, 0, 0, 1]],
    ['IPv6 loopback', [...Array<number>(15).fill(0), 1]],
    ['IPv4-mapped loopback', [...Array<number>(10).fill(0), 0xff, 0xff, 127, 0, 0, 1]],
  ] as const) {
    t.same(locate(Buffer.from(bytes), { only: 'bytes' }), [], `nowhere as bytes: ${name}`);
  }

  // The search can fail: values planted in a table and in the logs are found where they are.
  const raw = randomBytes(32);
  const base64 = randomBytes(32);
  const hex = randomBytes(32);
  const inLogs = randomBytes(32);
  await db.insert(settings).values({
    key: `self-check ${Buffer.concat([Buffer.from([7]), base64]).toString('base64')} ${hex.toString('hex')}`,
    value: Buffer.concat([randomBytes(5), raw, randomBytes(3)]),
  });
  app.log.info(`self-check ${inLogs.toString('hex')}`);
  const planted = locator((await dumpDatabase(db)).places, logs);
  t.same(planted(raw), ['settings.value (raw)'], 'the search finds planted bytes');
  t.same(planted(base64), ['settings.key (base64+1)'], 'the search finds planted base64 at any alignment');
  t.same(planted(hex), ['settings.key (hex)'], 'the search finds planted hex');
  t.same(planted(inLogs), ['logs (hex)'], 'the search finds what the logs hold');
});

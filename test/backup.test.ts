/**
 * `confidant backup` and `confidant restore` as an operator runs them: a backup of the embedded
 * database and its evidence files taken through the running service's socket while reports keep
 * arriving, restored into empty folders, and a service started on the restored folder that serves
 * the same case and file to its adviser. On PostgreSQL the command says to use pg_dump / pg_restore.
 */
import t from 'tap';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ConfidantClient, setUpAccount, signIn, submitNewReport } from '../src/protocol/index.js';
import { run } from '../src/cli/main.js';
import { openTestDatabase, testDatabaseUrl } from './helper.js';
import { plainFile, readAll, sendBody } from './helpers/file-transfer.js';
import { confidant, freePort, startService } from './helpers/processes.js';

/** The folder the command runs in (the package root): a relative path is taken from there. */
const root = path.resolve(import.meta.dirname, '..');
t.setTimeout(300_000);

t.test('on PostgreSQL, backup and restore point to pg_dump and pg_restore', { skip: testDatabaseUrl ? false : 'PostgreSQL only (TEST_DATABASE_URL)' }, async (t) => {
  const database = await openTestDatabase(t);
  const lines: string[] = [];
  const io = { out: (line: string) => lines.push(line), err: (line: string) => lines.push(line), env: { DATABASE_URL: database.url ?? '', ADMIN_SOCKET: 'off' }, database };
  t.equal(await run(['backup', 'copy.dump'], io), 2, 'backup: a usage error');
  t.match(lines.join('\n'), /pg_dump --format=custom --file .*copy\.dump/);
  t.equal(await run(['restore', 'copy.dump'], io), 2, 'restore: a usage error');
  t.match(lines.join('\n'), /pg_restore --dbname/);
});

t.test('a backup taken while reports arrive restores to a working instance', { skip: testDatabaseUrl ? 'the embedded database only' : false }, async (t) => {
  const folder = mkdtempSync(path.join(tmpdir(), 'confidant-backup-'));
  t.teardown(() => rmSync(folder, { recursive: true, force: true }));
  const dataDir = path.join(folder, 'data');
  const port = await freePort();
  const service = await startService({ DATA_DIR: dataDir, PORT: String(port), POW_DIFFICULTY: '0' });
  t.teardown(() => service.stop());
  const where = { DATA_DIR: dataDir };

  await confidant(where, 'org', 'create', 'acme', '--name', 'Acme B.V.');
  await confidant(where, 'channel', 'create', 'acme-meldpunt', '--name', 'Meldpunt Acme', '--org', 'acme');
  const invite = await confidant(where, 'invite', 'adviser', '--channel', 'acme-meldpunt');
  const token = /#([A-Za-z0-9_-]{43})/.exec(invite.out)?.[1] ?? '';
  const client = new ConfidantClient({ baseUrl: `http://127.0.0.1:${port}` });
  const passphrase = 'anna bewaart een kopie van alles';
  await setUpAccount(client, { token, username: 'anna', displayName: 'Anna de Vries', passphrase });
  const report = { v: 1 as const, lang: 'nl', answers: { what: 'Facturen worden gesplitst bij inkoop.' }, anonymity: 'anonymous' as const };
  const first = await submitNewReport(client, { slug: 'acme-meldpunt', report });
  // An evidence file of the first case: its body lives in FILES_DIR, beside the database.
  const adviser = await signIn(client, { username: 'anna', passphrase });
  const evidence = randomBytes(200_000);
  const attached = await adviser.attachCaseFile(first.caseId, plainFile('bewijs.bin', 'application/octet-stream', evidence));
  await sendBody(`http://127.0.0.1:${port}`, attached);

  // Under load: reports keep arriving while the backup is taken; each one committed before the backup started must be in it.
  const arriving = Array.from({ length: 12 }, () => submitNewReport(client, { slug: 'acme-meldpunt', report }));
  const backupFile = path.join(folder, 'confidant.backup');
  // A relative path, as an operator types it: resolved against the command's folder, not the service's.
  const backup = await confidant(where, 'backup', path.relative(root, backupFile));
  const arrived = await Promise.all(arriving);
  t.equal(backup.code, 0, `backup while the service runs: ${backup.err}`);
  t.match(backup.out, `Backup written to ${backupFile}`);
  t.equal(statSync(backupFile).mode & 0o777, 0o600, 'the backup is readable by its owner only');
  const again = await confidant(where, 'backup', backupFile);
  t.equal(again.code, 2, 'an existing file is never overwritten');
  t.match(again.err, /exists already/);
  t.match(backup.out, `Evidence files copied to ${backupFile}.files (1 files, ${statSync(path.join(`${backupFile}.files`, attached.fileId)).size} bytes)`, 'the evidence files are copied beside it');
  t.equal(statSync(`${backupFile}.files`).mode & 0o777, 0o700, 'into a folder only its owner opens');
  t.equal(statSync(path.join(`${backupFile}.files`, attached.fileId)).mode & 0o777, 0o600, 'each copy readable by its owner only');
  t.equal(await service.stop(), 0);

  // Restore into a new, empty folder; never over a database.
  const restoredDir = path.join(folder, 'restored');
  const refused = await confidant({ DATA_DIR: dataDir }, 'restore', backupFile);
  t.not(refused.code, 0, 'a restore over an existing database is refused');
  t.match(refused.err, /not empty/);
  // FILES_DIR must be empty too: checked before the database is made.
  const busyFiles = path.join(folder, 'busy-files');
  mkdirSync(busyFiles);
  writeFileSync(path.join(busyFiles, 'other'), 'x');
  const refusedFiles = await confidant({ DATA_DIR: restoredDir, FILES_DIR: busyFiles }, 'restore', backupFile);
  t.equal(refusedFiles.code, 2, 'a restore into a FILES_DIR that holds files is refused');
  t.match(refusedFiles.err, /not empty/);
  t.notOk(existsSync(restoredDir), 'and makes no database');
  const restore = await confidant({ DATA_DIR: restoredDir }, 'restore', backupFile);
  t.equal(restore.code, 0, `restore into an empty folder: ${restore.err}`);
  t.ok(existsSync(restoredDir), 'the folder is made');
  t.match(restore.out, `Restored the evidence files (1) into ${restoredDir}-files.`, 'the evidence files are put back in FILES_DIR');

  // A service on the restored folder: the adviser signs in and opens the first case.
  const restoredPort = await freePort();
  const restored = await startService({ DATA_DIR: restoredDir, PORT: String(restoredPort), POW_DIFFICULTY: '0' });
  t.teardown(() => restored.stop());
  const restoredClient = new ConfidantClient({ baseUrl: `http://127.0.0.1:${restoredPort}` });
  const anna = await signIn(restoredClient, { username: 'anna', passphrase });
  const opened = await anna.openCase(first.caseId);
  t.same(opened.report, report, 'the case reads back from the restored database');
  t.ok((await readAll(`http://127.0.0.1:${restoredPort}`, await anna.caseFileDownload(first.caseId, attached.fileId))).equals(evidence), 'and its evidence file, byte for byte');
  const listed = new Set((await anna.listCases({ limit: 50 })).cases.map((c) => c.caseId));
  t.ok(listed.has(first.caseId), 'the first case is listed');
  t.ok(listed.size >= 1 && listed.size <= 1 + arrived.length, `a consistent copy: ${listed.size - 1} of the ${arrived.length} reports that arrived during the backup`);
  const reporter = await restoredClient.getChannel('acme-meldpunt');
  t.equal(reporter.slug, 'acme-meldpunt', 'the channel serves reporters again');
  t.equal(await restored.stop(), 0);
});

t.test('with S3_BUCKET the evidence files stay in the bucket: backup and restore say so and copy none', { skip: testDatabaseUrl ? 'the embedded database only' : false }, async (t) => {
  const folder = mkdtempSync(path.join(tmpdir(), 'confidant-backup-s3-'));
  t.teardown(() => rmSync(folder, { recursive: true, force: true }));
  const database = await openTestDatabase(t);
  const lines: string[] = [];
  const s3 = { S3_BUCKET: 'confidant-files', S3_ENDPOINT: 'http://127.0.0.1:9', S3_ACCESS_KEY_ID: 'test', S3_SECRET_ACCESS_KEY: 'test' };
  const io = (env: Record<string, string>) => ({ out: (line: string) => lines.push(line), err: (line: string) => lines.push(line), env: { ...s3, ...env, ADMIN_SOCKET: 'off' }, database });
  const backupFile = path.join(folder, 'confidant.backup');
  t.equal(await run(['backup', backupFile], io({ DATA_DIR: path.join(folder, 'data') })), 0, 'the backup is made');
  t.ok(existsSync(backupFile), 'the database dump');
  t.notOk(existsSync(`${backupFile}.files`), 'no files folder');
  t.match(lines.join('\n'), /evidence files are in the S3 bucket confidant-files, not copied: back the bucket up with its own means/);
  lines.length = 0;
  const restoredDir = path.join(folder, 'restored');
  t.equal(await run(['restore', backupFile], { ...io({ DATA_DIR: restoredDir }), database: undefined }), 0, 'the restore is made');
  t.match(lines.join('\n'), /evidence files stay in the S3 bucket confidant-files/);
  t.ok(existsSync(restoredDir), 'into the new data folder');
});

/**
 * The `confidant` operator command, run in-process against the test database (in-memory
 * PGlite handed in, or PostgreSQL through DATABASE_URL when TEST_DATABASE_URL is set), plus a
 * fresh embedded database in a temporary DATA_DIR and one real child process.
 */
import t, { type Test } from 'tap';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { asc, count, eq, sql } from 'drizzle-orm';
import { run, type Io } from '../src/cli/main.js';
import { auditEvents, auditLog, channels, invites } from '../src/server/db/schema.js';
import { recordAudit } from '../src/server/services/audit.js';
import { tokenHash } from '../src/server/tokens.js';
import { openTestDatabase } from './helper.js';

type Env = Record<string, string>;

interface Result {
  code: number;
  out: string[];
  err: string[];
  stdout: string;
}

const root = fileURLToPath(new URL('..', import.meta.url));
const PUBLIC_URL = 'https://meldpunt.example.nl';
/** The invite link: the role for the page's texts in the query, the token in the fragment. */
const LINK = /^ {2}https:\/\/meldpunt\.example\.nl\/invite\?for=(adviser|recipient|operator)#([A-Za-z0-9_-]{43})$/;

async function capture(args: string[], io: Omit<Io, 'out' | 'err'>): Promise<Result> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await run(args, { ...io, out: (line) => out.push(line), err: (line) => err.push(line) });
  return { code, out, err, stdout: out.join('\n') };
}

// One database for the in-process tests (opening PGlite takes seconds); each test uses its own names.
const database = await openTestDatabase(t);

/** Runs a command line against the test database. */
function cli(args: string[], env: Env = {}): Promise<Result> {
  const fullEnv: Env = { PUBLIC_URL, POW_DIFFICULTY: '12', ...(database.url ? { DATABASE_URL: database.url } : {}), ...env };
  // In-memory PGlite lives in this process only: hand it in, unless the test names its own database.
  const inject = !database.url && !('DATABASE_URL' in env) && !('DATA_DIR' in env);
  return capture(args, inject ? { env: fullEnv, database } : { env: fullEnv });
}

function succeeded(t: Test, result: Result, what: string): void {
  t.equal(result.code, 0, `${what}: exit code 0`);
  t.same(result.err, [], `${what}: nothing on stderr`);
}

/** The table row whose first column is `key`. */
const row = (result: Result, key: string) => result.out.find((line) => line.startsWith(`${key} `));
const DATE = '\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d UTC';

t.test('--help, <group> --help, <command> --help, help <command> and --version', async (t) => {
  const env: Env = { DATABASE_URL: 'mysql://not-needed-for-help' };
  const help = await capture(['--help'], { env });
  succeeded(t, help, '--help');
  t.equal(help.out[0], 'Usage: confidant <command> [options]');
  for (const line of [
    '  confidant org create <slug> --name <name>',
    '  confidant org list',
    '  confidant channel create <slug> --name <name> --org <org-slug> [--no-consent] [--pow-difficulty <n>] [--retention <months>] [--digest-only]',
    '  confidant channel list',
    '  confidant channel locations <slug> [<id>=<name> ...] [--clear]',
    '  confidant invite adviser --channel <slug>',
    '  confidant invite recipient --org <slug>',
    '  confidant invite operator',
    '  confidant invite list',
  ]) {
    t.ok(help.out.includes(line), `the help lists: ${line.trim()}`);
  }
  t.match(help.stdout, /DATABASE_URL/);
  t.match(help.stdout, /PUBLIC_URL/);
  t.same((await capture(['-h'], { env })).out, help.out, '-h is --help');
  t.same((await capture(['help'], { env })).out, help.out, 'help is --help');

  const invite = await capture(['invite', '--help'], { env });
  succeeded(t, invite, 'invite --help');
  t.equal(invite.out[0], 'Usage: confidant invite <adviser|recipient|operator|list|revoke>');
  t.match(invite.stdout, /one-time link for an adviser/);
  t.notMatch(invite.stdout, /org create/, 'only the invite commands');

  const create = await capture(['channel', 'create', '--help'], { env });
  succeeded(t, create, 'channel create --help');
  t.equal(create.out[0], 'Usage: confidant channel create <slug> --name <name> --org <org-slug> [--no-consent] [--pow-difficulty <n>] [--retention <months>] [--digest-only]');
  for (const option of ['--name <name>', '--org <org-slug>', '--no-consent', '--pow-difficulty <n>', '--retention <months>', '--digest-only', '-h, --help']) {
    t.ok(create.out.some((line) => line.startsWith(`  ${option} `)), `channel create --help explains ${option}`);
  }
  t.same((await capture(['help', 'channel', 'create'], { env })).out, create.out, 'help channel create');
  t.same((await capture(['channel', 'create', 'x', '--bogus', '-h'], { env })).out, create.out, '--help wins over other mistakes');

  const version = await capture(['--version'], { env });
  succeeded(t, version, '--version');
  const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string };
  t.same(version.out, [`confidant ${pkg.version}`]);
});

t.test('on an empty database the lists say so', async (t) => {
  for (const [group, message] of [
    ['org', 'No organisations yet.'],
    ['channel', 'No channels yet.'],
    ['invite', 'No pending invites.'],
  ] as const) {
    const result = await cli([group, 'list']);
    succeeded(t, result, `${group} list`);
    t.same(result.out, [message]);
  }
});

t.test('organisations: create and list', async (t) => {
  const created = await cli(['org', 'create', 'gemeente-utrecht', '--name', '  Gemeente Utrecht ']);
  succeeded(t, created, 'org create');
  t.same(created.out, [
    'Created organisation "gemeente-utrecht" (Gemeente Utrecht).',
    'Next: confidant channel create <slug> --name "<name>" --org gemeente-utrecht',
  ], 'the name is trimmed');
  succeeded(t, await cli(['org', 'create', 'acme', '--name=Acme B.V.']), 'org create with --name=');

  const list = await cli(['org', 'list']);
  succeeded(t, list, 'org list');
  t.match(list.out[0], /^SLUG +NAME +CREATED$/);
  t.match(row(list, 'acme'), new RegExp(`^acme +Acme B\\.V\\. +${DATE}$`));
  t.match(row(list, 'gemeente-utrecht'), new RegExp(`^gemeente-utrecht +Gemeente Utrecht +${DATE}$`));
  t.ok(list.out.indexOf(row(list, 'acme')!) < list.out.indexOf(row(list, 'gemeente-utrecht')!), 'sorted by slug');
  const nameColumn = list.out[0]!.indexOf('NAME');
  t.equal(row(list, 'acme')!.indexOf('Acme'), nameColumn, 'columns are aligned');
  t.equal(row(list, 'gemeente-utrecht')!.indexOf('Gemeente'), nameColumn, 'columns are aligned');
});

t.test('channels: create with defaults and with options, and list', async (t) => {
  await cli(['org', 'create', 'kanaal-org', '--name', 'Kanaal']);
  const defaults = await cli(['channel', 'create', 'meldpunt', '--name', 'Meldpunt integriteit', '--org', 'kanaal-org']);
  succeeded(t, defaults, 'channel create');
  t.same(defaults.out, [
    'Created channel "meldpunt" (Meldpunt integriteit) of organisation "kanaal-org".',
    `Reporters use: ${PUBLIC_URL}/c/meldpunt`,
    'Relays: the reporter approves each relay text before it is sent.',
    'Proof-of-work difficulty: 12.',
    'Retention: a closed case is deleted 12 months after closure, unless held.',
    'Mail: channel "meldpunt" is in the daily digest; staff may also choose mail right after an event.',
    'Next: confidant invite adviser --channel meldpunt',
  ]);

  const options = await cli(['channel', 'create', 'open', '--org', 'kanaal-org', '--name', 'Open lijn', '--no-consent', '--pow-difficulty', '0']);
  succeeded(t, options, 'channel create --no-consent --pow-difficulty 0');
  t.ok(options.out.includes('Relays: sent without asking the reporter for approval.'));
  t.ok(options.out.includes('Proof-of-work difficulty: 0.'));
  succeeded(t, await cli(['channel', 'create', 'hard', '--org', 'kanaal-org', '--name', 'Hard', '--pow-difficulty=32']), '--pow-difficulty=32');

  const list = await cli(['channel', 'list']);
  succeeded(t, list, 'channel list');
  t.match(list.out[0], /^SLUG +NAME +ORGANISATION +CONSENT +POW +RETENTION$/);
  t.match(row(list, 'hard'), /^hard +Hard +kanaal-org +required +32 +12 months$/);
  t.match(row(list, 'meldpunt'), /^meldpunt +Meldpunt integriteit +kanaal-org +required +12 +12 months$/);
  t.match(row(list, 'open'), /^open +Open lijn +kanaal-org +no +0 +12 months$/);
});

t.test('channel locations: show, set, replace and clear the list; every mistake with its own message', async (t) => {
  await cli(['org', 'create', 'locatie-org', '--name', 'Locatie']);
  await cli(['channel', 'create', 'locatie-lijn', '--name', 'Lijn', '--org', 'locatie-org']);
  const stored = async () => (await database.db.select({ locations: channels.locations }).from(channels).where(eq(channels.slug, 'locatie-lijn')))[0]?.locations;

  const help = await cli(['channel', 'locations', '--help']);
  succeeded(t, help, 'channel locations --help');
  t.equal(help.out[0], 'Usage: confidant channel locations <slug> [<id>=<name> ...] [--clear]');
  t.ok(help.out.some((line) => line.startsWith('  --clear ')), 'the help explains --clear');
  t.match(help.stdout, /at most 50, each as <id>=<name>/, 'and the entries');
  t.match(help.stdout, /keep it when renaming/, 'and that an id stays what registrations record');

  const empty = await cli(['channel', 'locations', 'locatie-lijn']);
  succeeded(t, empty, 'showing no list');
  t.same(empty.out, ['Channel "locatie-lijn" lists no locations: its advisers record none.']);
  t.same(await stored(), [], 'a new channel has an empty list');

  const set = await cli(['channel', 'locations', 'locatie-lijn', 'utrecht=Vestiging Utrecht', 'inkoop=  Afdeling Inkoop ', 'r-2=Naam = met is-teken']);
  succeeded(t, set, 'setting a list');
  t.equal(set.out[0], 'Channel "locatie-lijn" now lists 3 location(s):');
  t.match(set.out[1], /^ID +NAME$/);
  t.match(set.out[2], /^utrecht +Vestiging Utrecht$/);
  t.match(set.out[3], /^inkoop +Afdeling Inkoop$/, 'names are trimmed');
  t.match(set.out[4], /^r-2 +Naam = met is-teken$/, 'a name may hold "="; the id ends at the first');
  const list = [
    { id: 'utrecht', name: 'Vestiging Utrecht' },
    { id: 'inkoop', name: 'Afdeling Inkoop' },
    { id: 'r-2', name: 'Naam = met is-teken' },
  ];
  t.same(await stored(), list, "stored in the operator's order");
  const shown = await cli(['channel', 'locations', 'locatie-lijn']);
  succeeded(t, shown, 'showing the list');
  t.equal(shown.out[0], 'Locations of channel "locatie-lijn":');
  t.equal(shown.out.length, 5, 'a header and three rows');

  const most = Array.from({ length: 50 }, (_, i) => `l${i}=Locatie ${i}`);
  succeeded(t, await cli(['channel', 'locations', 'locatie-lijn', ...most]), '50 entries');
  t.equal((await stored())?.length, 50);
  const longest = `${'a'.repeat(40)}=${'é'.repeat(80)}`;
  succeeded(t, await cli(['channel', 'locations', 'locatie-lijn', longest, 'x=Ü']), 'an id of 40 and a name of 80 characters; a name of 1');
  succeeded(t, await cli(['channel', 'locations', 'locatie-lijn', ...list.map((l) => `${l.id}=${l.name}`)]), 'the list again, replacing the whole one');
  t.same(await stored(), list);

  const mistakes: Array<[string, string[], number, RegExp]> = [
    ['--clear with entries', ['--clear', 'a=A'], 2, /give entries or --clear, not both/],
    ['an entry without "="', ['utrecht'], 2, /"utrecht" is not <id>=<name>, for example "utrecht=Vestiging Utrecht"/],
    ['an entry without an id', ['=Utrecht'], 2, /"=Utrecht" is not <id>=<name>/],
    ['an upper-case id', ['Utrecht=Utrecht'], 2, /A location id must be 1 to 40 lower-case letters, digits or hyphens, starting with a letter or digit, got "Utrecht"/],
    ['an id starting with a hyphen', ['-x=X'], 2, /unknown option -x/],
    ['an id with a space', ['de bilt=De Bilt'], 2, /got "de bilt"/],
    ['an id of 41 characters', [`${'a'.repeat(41)}=A`], 2, /A location id must be/],
    ['the reserved id not-recorded', ['not-recorded=Onbekend'], 2, /The location id "not-recorded" is reserved/],
    ['the reserved id removed', ['removed=Weg'], 2, /The location id "removed" is reserved/],
    ['an id twice', ['a=A', 'b=B', 'a=C'], 2, /The location id "a" is listed twice\./],
    ['a name twice', ['a=Zelfde', 'b= Zelfde'], 2, /The location name "Zelfde" is listed twice\./],
    ['an empty name', ['a='], 2, /The name of location "a" must be 1 to 80 characters without control characters\./],
    ['a blank name', ['a=   '], 2, /The name of location "a" must be 1 to 80/],
    ['a name of 81 characters', [`a=${'n'.repeat(81)}`], 2, /The name of location "a" must be 1 to 80/],
    ['a name with a line break', ['a=Twee\nregels'], 2, /without control characters/],
    ['a name with a tab', ['a=Met\ttab'], 2, /without control characters/],
    ['a name with a C1 control', ['a=Met\u0085'], 2, /without control characters/],
    ['a name with a lone surrogate', ['a=Half \ud800'], 2, /without control characters/],
    ['51 entries', [...most, 'l50=Locatie 50'], 2, /A channel lists at most 50 locations, got 51\./],
    ['an unknown option', ['--all'], 2, /unknown option --all for "channel locations"/],
    ['a value for --clear', ['--clear=yes'], 2, /option --clear takes no value/],
  ];
  for (const [what, rest, code, message] of mistakes) {
    const result = await cli(['channel', 'locations', 'locatie-lijn', ...rest]);
    t.equal(result.code, code, `${what}: exit code ${code}`);
    t.equal(result.err.length, 1, `${what}: one line on stderr`);
    t.match(result.err[0], message, `${what}: ${result.err[0]}`);
    t.same(result.out, [], `${what}: nothing on stdout`);
  }
  for (const [what, args, message] of [
    ['no slug', ['channel', 'locations'], /missing <slug>; usage: confidant channel locations <slug> \[<id>=<name> \.\.\.\] \[--clear\]$/],
    ['an unknown channel', ['channel', 'locations', 'nergens', 'a=A'], /There is no channel "nergens"\./],
    ['an unknown channel to show', ['channel', 'locations', 'nergens'], /There is no channel "nergens"\./],
    ['an unknown channel to clear', ['channel', 'locations', 'nergens', '--clear'], /There is no channel "nergens"\./],
  ] as const) {
    const result = await cli([...args]);
    t.equal(result.code, what === 'no slug' ? 2 : 1, `${what}: exit code`);
    t.match(result.err[0], message, `${what}: ${result.err[0]}`);
  }
  t.same(await stored(), list, 'no mistake changed the list');

  const cleared = await cli(['channel', 'locations', 'locatie-lijn', '--clear']);
  succeeded(t, cleared, '--clear');
  t.same(cleared.out, [
    'Channel "locatie-lijn" lists no locations any more: its advisers record none.',
    'Registrations that recorded one keep it; the form shows it as removed.',
  ]);
  t.same(await stored(), [], 'the list is empty');
});

t.test('invites: one-time links that store only the token hash, and the pending list', async (t) => {
  await cli(['org', 'create', 'uitnodiging', '--name', 'Uitnodiging']);
  await cli(['channel', 'create', 'uitnodiging-lijn', '--name', 'Lijn', '--org', 'uitnodiging']);

  const before = Date.now();
  const adviser = await cli(['invite', 'adviser', '--channel', 'uitnodiging-lijn']);
  succeeded(t, adviser, 'invite adviser');
  t.equal(adviser.out[0], 'One-time invite for an adviser of channel "uitnodiging-lijn":');
  const linkLine = adviser.out.find((line) => LINK.test(line));
  t.ok(linkLine, `the link has the shape ${PUBLIC_URL}/invite?for=adviser#<43-character base64url token>`);
  t.equal(LINK.exec(linkLine ?? '')?.[1], 'adviser', 'the link names the role');
  const token = LINK.exec(linkLine ?? '')?.[2] ?? '';
  const expiry = /^It expires (\d{4}-\d\d-\d\d \d\d:\d\d) UTC \(in 7 days\)\.$/.exec(adviser.out.find((l) => l.startsWith('It expires')) ?? '');
  t.ok(expiry, 'the expiry is printed');
  const expires = Date.parse(`${expiry?.[1]}Z`);
  const week = 7 * 24 * 3600 * 1000;
  t.ok(expires > before + week - 120_000 && expires <= Date.now() + week, 'it expires in 7 days');
  t.match(adviser.stdout, /shown only now/, 'one sentence says the link is shown once');

  const [stored] = await database.db.select().from(invites).where(eq(invites.tokenHash, tokenHash(token)));
  t.ok(stored, 'the invites table holds the SHA-256 of the token');
  t.equal(stored?.role, 'adviser');
  t.equal(stored?.organisationId, null);
  t.ok(stored?.channelId);
  t.notMatch(JSON.stringify(await database.db.select().from(invites)), token, 'and not the token itself');

  const recipient = await cli(['invite', 'recipient', '--org', 'uitnodiging']);
  succeeded(t, recipient, 'invite recipient');
  t.equal(recipient.out[0], 'One-time invite for a recipient of organisation "uitnodiging":');
  const recipientLink = LINK.exec(recipient.out.find((line) => LINK.test(line)) ?? '');
  t.equal(recipientLink?.[1], 'recipient', 'the recipient link names the role');
  const second = recipientLink?.[2];
  t.ok(second, 'a link of the same shape');
  t.not(second, token, 'every invite has its own token');

  const operator = await cli(['invite', 'operator']);
  succeeded(t, operator, 'invite operator');
  t.equal(operator.out[0], 'One-time invite for an operator of this installation:');
  t.equal(LINK.exec(operator.out.find((line) => LINK.test(line)) ?? '')?.[1], 'operator', 'the operator link names the role');

  const list = await cli(['invite', 'list']);
  succeeded(t, list, 'invite list');
  t.match(list.out[0], /^ID +ROLE +TARGET +EXPIRES$/);
  t.match(row(list, stored!.id), new RegExp(`^${stored!.id} +adviser +channel uitnodiging-lijn +${DATE}$`));
  t.ok(list.out.some((line) => new RegExp(`^[A-Za-z0-9_-]{22} +recipient +organisation uitnodiging +${DATE}$`).test(line)), 'the recipient invite');
  t.ok(list.out.some((line) => new RegExp(`^[A-Za-z0-9_-]{22} +operator +installation +${DATE}$`).test(line)), 'the operator invite');
  t.notMatch(list.stdout, token, 'the list never shows a token');

  await database.db.update(invites).set({ usedAt: new Date() }).where(eq(invites.id, stored!.id));
  const after = await cli(['invite', 'list']);
  t.equal(row(after, stored!.id), undefined, 'a used invite is no longer pending');
  t.ok(after.out.some((line) => / recipient +organisation uitnodiging /.test(line)), 'the other one still is');
});

t.test('every mistake: one line on stderr, nothing on stdout, exit code 2 or 1', async (t) => {
  await cli(['org', 'create', 'fout', '--name', 'Fout']);
  await cli(['channel', 'create', 'fout-lijn', '--name', 'Fout', '--org', 'fout']);
  const lists = async () => Promise.all(['org', 'channel', 'invite'].map(async (group) => (await cli([group, 'list'])).out));
  const before = await lists();
  const channel = ['channel', 'create', 'nieuw', '--name', 'Nieuw', '--org', 'fout'];

  const cases: Array<[string, string[], Env, number, RegExp]> = [
    ['no command', [], {}, 2, /missing command; run "confidant --help"/],
    ['unknown command', ['frob'], {}, 2, /unknown command "frob"/],
    ['unknown top-level option', ['--frob'], {}, 2, /unknown option --frob/],
    ['group without command', ['org'], {}, 2, /missing org command \(create, list\)/],
    ['unknown command of a group', ['invite', 'owner'], {}, 2, /unknown invite command "owner" \(adviser, recipient, operator, list, revoke\)/],
    ['missing slug', ['org', 'create', '--name', 'X'], {}, 2, /missing <slug>; usage: confidant org create <slug> --name <name>$/],
    ['missing --name', ['org', 'create', 'x'], {}, 2, /missing --name; usage: confidant org create/],
    ['option without value', ['org', 'create', 'x', '--name'], {}, 2, /option --name needs a value/],
    ['option followed by an option', ['channel', 'create', 'x', '--name', '--org', 'fout'], {}, 2, /option --name needs a value/],
    ['unknown option', ['org', 'create', 'x', '--name', 'X', '--bogus'], {}, 2, /unknown option --bogus for "org create"/],
    ['unknown short option', ['org', 'list', '-x'], {}, 2, /unknown option -x for "org list"/],
    ['option of another command', ['invite', 'recipient', '--channel', 'fout-lijn'], {}, 2, /unknown option --channel for "invite recipient"/],
    ['extra argument', ['org', 'create', 'x', 'y', '--name', 'X'], {}, 2, /unexpected argument "y"/],
    ['extra argument to a list', ['channel', 'list', 'all'], {}, 2, /unexpected argument "all"; usage: confidant channel list$/],
    ['missing --org', ['channel', 'create', 'x', '--name', 'X'], {}, 2, /missing --org/],
    ['missing --channel', ['invite', 'adviser'], {}, 2, /missing --channel; usage: confidant invite adviser --channel <slug>$/],
    ['missing --org of a recipient', ['invite', 'recipient'], {}, 2, /missing --org/],
    ['a value for --no-consent', [...channel, '--no-consent=yes'], {}, 2, /option --no-consent takes no value/],
    ['--pow-difficulty not a number', [...channel, '--pow-difficulty', 'hard'], {}, 2, /--pow-difficulty must be a whole number from 0 to 32, got "hard"/],
    ['--pow-difficulty too large', [...channel, '--pow-difficulty', '33'], {}, 2, /got "33"/],
    ['--pow-difficulty negative', [...channel, '--pow-difficulty=-1'], {}, 2, /got "-1"/],
    ['--pow-difficulty fraction', [...channel, '--pow-difficulty', '1.5'], {}, 2, /got "1\.5"/],
    ['--pow-difficulty empty', [...channel, '--pow-difficulty='], {}, 2, /got ""/],
    ['upper-case slug', ['org', 'create', 'Acme', '--name', 'X'], {}, 2, /organisation slug must be 1 to 64 lower-case letters, digits or hyphens, got "Acme"/],
    ['slug ending in a hyphen', ['channel', 'create', 'lijn-', '--name', 'X', '--org', 'fout'], {}, 2, /channel slug must be/],
    ['slug too long', ['org', 'create', 'a'.repeat(65), '--name', 'X'], {}, 2, /organisation slug must be/],
    ['empty name', ['org', 'create', 'leeg', '--name', '   '], {}, 2, /organisation name must be 1 to 200 characters/],
    ['unknown organisation', ['channel', 'create', 'x', '--name', 'X', '--org', 'nope'], {}, 1, /There is no organisation "nope"\./],
    ['unknown channel', ['invite', 'adviser', '--channel', 'nope'], {}, 1, /There is no channel "nope"\./],
    ['unknown organisation of a recipient', ['invite', 'recipient', '--org', 'nope'], {}, 1, /There is no organisation "nope"\./],
    ['duplicate organisation', ['org', 'create', 'fout', '--name', 'Fout again'], {}, 1, /An organisation "fout" exists already\./],
    ['duplicate channel', ['channel', 'create', 'fout-lijn', '--name', 'Again', '--org', 'fout'], {}, 1, /A channel "fout-lijn" exists already\./],
    ['a non-PostgreSQL DATABASE_URL', ['org', 'list'], { DATABASE_URL: 'mysql://x' }, 2, /^confidant: configuration error: DATABASE_URL: must be a postgres:\/\//],
    ['a bad POW_DIFFICULTY', ['org', 'list'], { POW_DIFFICULTY: '99' }, 2, /configuration error: POW_DIFFICULTY: must be a whole number/],
    ['an unreachable database', ['org', 'list'], { DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none' }, 1, /^confidant: cannot open the database: .*ECONNREFUSED/],
  ];
  for (const [what, args, env, code, message] of cases) {
    const result = await cli(args, env);
    t.equal(result.code, code, `${what}: exit code ${code}`);
    t.equal(result.err.length, 1, `${what}: exactly one line on stderr`);
    t.match(result.err[0], /^confidant: /, `${what}: the line starts with "confidant: "`);
    t.match(result.err[0], message, `${what}: ${result.err[0]}`);
    t.notMatch(result.err[0], /\n|\bat .*:\d+:\d+/, `${what}: no stack trace`);
    t.same(result.out, [], `${what}: nothing on stdout`);
  }
  t.same(await lists(), before, 'the mistakes created no organisation, channel or invite');
});

t.test('a fresh install: the embedded database in DATA_DIR is created, migrated and kept', async (t) => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'confidant-cli-'));
  t.teardown(() => fs.rmSync(dataDir, { recursive: true, force: true }));
  const env: Env = { DATA_DIR: path.join(dataDir, 'data'), PUBLIC_URL };
  const cli = (args: string[]) => capture(args, { env });

  succeeded(t, await cli(['org', 'create', 'acme', '--name', 'Acme']), 'org create on a fresh DATA_DIR');
  succeeded(t, await cli(['channel', 'create', 'meldpunt', '--name', 'Meldpunt', '--org', 'acme']), 'a second run finds the organisation');
  const list = await cli(['channel', 'list']);
  succeeded(t, list, 'channel list');
  t.same(list.out.slice(1), ['meldpunt  Meldpunt  acme          required  16   12 months'], 'a third run sees the channel; POW_DIFFICULTY defaults to 16');
  t.ok(fs.existsSync(path.join(dataDir, 'data', 'PG_VERSION')), 'the database lives in DATA_DIR');
});

t.test('the real process: node src/cli/main.ts', async (t) => {
  const spawn = (args: string[], env: Env = {}) =>
    new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile(
        process.execPath,
        ['--import', 'tsx', path.join(root, 'src/cli/main.ts'), ...args],
        { cwd: root, timeout: 60_000, env: { ...process.env, ...env } },
        (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
      );
    });

  const help = await spawn(['--help']);
  t.equal(help.code, 0, '--help exits 0');
  t.match(help.stdout, /^Usage: confidant <command> \[options\]\n/);
  t.match(help.stdout, /confidant invite adviser --channel <slug>/);
  t.equal(help.stderr, '');

  const wrong = await spawn(['org', 'create']);
  t.equal(wrong.code, 2, 'a usage error exits 2');
  t.equal(wrong.stdout, '');
  t.equal(wrong.stderr, 'confidant: missing <slug>; usage: confidant org create <slug> --name <name>\n', 'one line, no stack trace');
});

t.test('audit verify: help, an intact chain, and a chain broken on purpose', async (t) => {
  const env: Env = { DATABASE_URL: 'mysql://not-needed-for-help' };
  const help = await capture(['--help'], { env });
  t.ok(help.out.includes('  confidant audit verify'), 'the main help lists audit verify');
  const group = await capture(['audit', '--help'], { env });
  succeeded(t, group, 'audit --help');
  t.equal(group.out[0], 'Usage: confidant audit <verify>');
  const verifyHelp = await capture(['audit', 'verify', '--help'], { env });
  succeeded(t, verifyHelp, 'audit verify --help');
  t.equal(verifyHelp.out[0], 'Usage: confidant audit verify');
  t.match(verifyHelp.stdout, /hash chain/);

  const extra = await cli(['audit', 'verify', 'now']);
  t.equal(extra.code, 2, 'an extra argument is a usage error');
  t.same(extra.err, ['confidant: unexpected argument "now"; usage: confidant audit verify']);

  await recordAudit(database.db, { actor: 'system', action: 'account_created', subject: 'acc_cli_1' });
  await recordAudit(database.db, { actor: 'acc_cli_1', action: 'login' });
  await recordAudit(database.db, { actor: 'acc_cli_1', action: 'view', subject: 'case_cli_1' });
  const intact = await cli(['audit', 'verify']);
  succeeded(t, intact, 'audit verify');
  const entries = (await database.db.select({ n: count() }).from(auditLog))[0]!.n;
  t.ok(entries >= 3, 'the pending events were sealed first');
  t.equal((await database.db.select({ n: count() }).from(auditEvents))[0]!.n, 0, 'none is left pending');
  t.same(intact.out, [`Audit log intact: ${entries} entries.`]);

  const chain = await database.db.select().from(auditLog).orderBy(asc(auditLog.seq));
  const target = chain[chain.length - 2]!;
  const trigger = (on: boolean) => database.db.execute(sql.raw(`alter table audit_log ${on ? 'enable' : 'disable'} trigger audit_log_no_update_or_delete`));
  t.teardown(() => trigger(true));
  await trigger(false);
  await database.db.update(auditLog).set({ subject: 'case_cli_other' }).where(eq(auditLog.seq, target.seq));
  const broken = await cli(['audit', 'verify']);
  t.equal(broken.code, 1, 'a broken chain exits 1');
  t.same(broken.out, [], 'nothing on stdout');
  t.same(broken.err, [`confidant: audit log broken at entry ${target.seq}: hash does not match its content`], 'one line naming the entry');

  await database.db.update(auditLog).set({ subject: target.subject }).where(eq(auditLog.seq, target.seq));
  await trigger(true);
  succeeded(t, await cli(['audit', 'verify']), 'restored, the chain is intact again');
});

/** The command table of `confidant`: what each command takes, its help, and its work. */
import { existsSync, readdirSync, rmdirSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import type { Config } from '../server/config.js';
import { restoreEmbedded, type DatabaseHandle } from '../server/db/connection.js';
import {
  INVITE_DAYS, inviteLink, LOCATION_NAME_MAX, LOCATIONS_MAX, RETENTION_MONTHS_DEFAULT, RETENTION_MONTHS_MAX, RETENTION_MONTHS_MIN,
  type AccountChange, type Administration, type AdviserRemoval, type ChannelLocation, type CreatedInvite, type StaffAccountSummary
} from '../server/services/administration.js';
import type { Audit } from '../server/services/audit.js';
import type { Channels } from '../server/services/channels.js';
import { copyFileStore } from '../server/services/file-bodies.js';
import { keyFingerprint } from '../protocol/index.js';
import { UsageError, wholeNumber, type OptionSpecs, type Parsed } from './args.js';
import { formatDate, printable, table } from './output.js';

/** What a command's work receives once the configuration is read and the database is open. */
export interface Context {
  admin: Administration;
  audit: Audit;
  channels: Channels;
  config: Config;
  database: DatabaseHandle;
  out(line: string): void;
}

export type Work = (context: Context) => Promise<void>;

interface Option {
  type: 'string' | 'boolean';
  /** The placeholder shown in usage, for string options: `<name>`. */
  value?: string;
  required?: boolean;
  help: string;
}

export interface Command {
  group: (typeof groups)[number];
  /** Empty for a command that is its group alone (`confidant backup <file>`). */
  name: string;
  /** Positional arguments in usage form, all required: `<slug>`. */
  args: string[];
  /** Optional positional arguments after those, in usage form: `[<months>]`. */
  optional?: string[];
  /** Any number of further positional arguments, in usage form: `[<id>=<name> ...]`. */
  rest?: string;
  options: Record<string, Option>;
  summary: string;
  /** More lines for the command's own --help, after the summary. */
  details?: string[];
  /** The first argument is a file, resolved against the caller's folder (the service may run elsewhere). */
  fileArgument?: true;
  /**
   * Runs here, never in a running service, without the database opened for it (a restore makes
   * one); its work gets the configuration only.
   */
  standalone?: (input: Parsed, config: Config, out: (line: string) => void) => Promise<void>;
  /** Checks the parsed arguments (before the database is opened) and returns the work to do. */
  plan(input: Parsed): Work;
}

const str = (input: Parsed, name: string): string => input.values[name] as string;

const months = (n: number): string => (n === 1 ? '1 month' : `${n} months`);
const retentionOption = (raw: string | boolean | undefined): number | undefined =>
  typeof raw === 'string' ? wholeNumber(raw, '--retention', RETENTION_MONTHS_MIN, RETENTION_MONTHS_MAX) : undefined;

export const commands: Command[] = [
  {
    group: 'org',
    name: 'create',
    args: ['<slug>'],
    options: { name: { type: 'string', value: '<name>', required: true, help: 'The name people see, for example "Gemeente Utrecht".' } },
    summary: 'Create an organisation.',
    plan: (input) => async ({ admin, out }) => {
      const org = await admin.createOrganisation({ slug: input.positionals[0]!, name: str(input, 'name') });
      out(`Created organisation "${org.slug}" (${org.name}).`);
      out(`Next: confidant channel create <slug> --name "<name>" --org ${org.slug}`);
    },
  },
  {
    group: 'org',
    name: 'list',
    args: [],
    options: {},
    summary: 'List the organisations.',
    plan: () => async ({ admin, out }) => {
      const orgs = await admin.listOrganisations();
      if (orgs.length === 0) return out('No organisations yet.');
      table(
        ['SLUG', 'NAME', 'CREATED'],
        orgs.map((o) => [o.slug, o.name, formatDate(o.createdAt)]),
      ).forEach(out);
    },
  },
  {
    group: 'channel',
    name: 'create',
    args: ['<slug>'],
    options: {
      name: { type: 'string', value: '<name>', required: true, help: 'The name reporters see, for example "Meldpunt integriteit".' },
      org: { type: 'string', value: '<org-slug>', required: true, help: 'The organisation the channel belongs to.' },
      'no-consent': {
        type: 'boolean',
        help: 'Advisers may relay without the reporter approving the text (default: approval required).',
      },
      'pow-difficulty': {
        type: 'string',
        value: '<n>',
        help: 'Proof-of-work difficulty for reporters, 0 to 32 (default: POW_DIFFICULTY, or 16).',
      },
      retention: {
        type: 'string',
        value: '<months>',
        help: `Months after closure when a closed case is deleted, ${RETENTION_MONTHS_MIN} to ${RETENTION_MONTHS_MAX} (default: ${RETENTION_MONTHS_DEFAULT}).`,
      },
      'digest-only': {
        type: 'boolean',
        help: "Staff get this channel's news in the daily digest only, never right after an event (see \"channel mail\").",
      },
    },
    summary: 'Create a reporting channel of an organisation.',
    plan: (input) => {
      const raw = input.values['pow-difficulty'] as string | undefined;
      const powDifficulty = raw === undefined ? undefined : wholeNumber(raw, '--pow-difficulty', 0, 32);
      const retentionMonths = retentionOption(input.values.retention);
      return async ({ admin, config, out }) => {
        const channel = await admin.createChannel({
          slug: input.positionals[0]!,
          name: str(input, 'name'),
          organisation: str(input, 'org'),
          consentRequired: input.values['no-consent'] !== true,
          powDifficulty,
          retentionMonths,
          immediateMail: input.values['digest-only'] !== true,
        });
        out(`Created channel "${channel.slug}" (${channel.name}) of organisation "${channel.organisationSlug}".`);
        out(`Reporters use: ${config.publicUrl}/c/${channel.slug}`);
        out(
          channel.consentRequired
            ? 'Relays: the reporter approves each relay text before it is sent.'
            : 'Relays: sent without asking the reporter for approval.',
        );
        out(`Proof-of-work difficulty: ${channel.powDifficulty}.`);
        out(`Retention: a closed case is deleted ${months(channel.retentionMonths)} after closure, unless held.`);
        out(mailLine(channel.slug, channel.immediateMail));
        out(`Next: confidant invite adviser --channel ${channel.slug}`);
      };
    },
  },
  {
    group: 'channel',
    name: 'list',
    args: [],
    options: {},
    summary: 'List the channels.',
    plan: () => async ({ admin, out }) => {
      const channels = await admin.listChannels();
      if (channels.length === 0) return out('No channels yet.');
      table(
        ['SLUG', 'NAME', 'ORGANISATION', 'CONSENT', 'POW', 'RETENTION'],
        channels.map((c) => [
          c.slug, c.name, c.organisationSlug, c.consentRequired ? 'required' : 'no', String(c.powDifficulty), months(c.retentionMonths),
        ]),
      ).forEach(out);
    },
  },
  {
    group: 'channel',
    name: 'link',
    args: ['<slug>'],
    options: {},
    summary: "Print the reporters' link with the advisers' key fingerprints pinned, to publish on the intranet.",
    plan: (input) => async ({ channels, config, out }) => {
      const channel = await channels.bySlug(input.positionals[0]!);
      if (channel.advisers.length === 0) {
        out(`Channel "${channel.slug}" has no adviser yet: invite one first (confidant invite adviser --channel ${channel.slug}).`);
        return;
      }
      const advisers = channel.advisers.map((a) => ({ name: printable(a.name), fingerprint: keyFingerprint(a.boxPublicKey, a.signPublicKey) }));
      out(`The link for reporters of "${channel.slug}", with the keys of its ${advisers.length} adviser(s) pinned:`);
      out('');
      out(`  ${config.publicUrl}/c/${channel.slug}#pins=${advisers.map((a) => a.fingerprint).join(',')}`);
      out('');
      table(['ADVISER', 'FINGERPRINT'], advisers.map((a) => [a.name, a.fingerprint])).forEach(out);
      out('');
      out('Ask each adviser to confirm the fingerprint their own page shows before you publish the link.');
      out('A reporter who opens it sends only to these keys; print it again when advisers join or leave.');
    },
  },
  {
    group: 'channel',
    name: 'locations',
    args: ['<slug>'],
    rest: '[<id>=<name> ...]',
    options: {
      clear: { type: 'boolean', help: 'Remove the whole list: the advisers of the channel then record no location.' },
    },
    summary: "Show or set the channel's departments or locations, which its advisers record a case under.",
    details: [
      `Entries replace the whole list, in the order given: at most ${LOCATIONS_MAX}, each as <id>=<name>, for example`,
      '"utrecht=Vestiging Utrecht". An id is 1 to 40 lower-case letters, digits or hyphens, starting with a',
      `letter or digit, and stays what registrations record: keep it when renaming. A name is 1 to ${LOCATION_NAME_MAX}`,
      'characters. Without entries or --clear the command shows the list. Reporters never see it.',
    ],
    plan: (input) => {
      const [slug, ...given] = input.positionals as [string, ...string[]];
      const clear = input.values.clear === true;
      if (clear && given.length > 0) throw new UsageError('give entries or --clear, not both');
      const entries = given.map((entry) => {
        const at = entry.indexOf('=');
        if (at < 1) throw new UsageError(`"${entry}" is not <id>=<name>, for example "utrecht=Vestiging Utrecht"`);
        return { id: entry.slice(0, at), name: entry.slice(at + 1) };
      });
      const show = (locations: ChannelLocation[]) => table(['ID', 'NAME'], locations.map((l) => [l.id, l.name]));
      return async ({ admin, out }) => {
        if (clear) {
          await admin.setChannelLocations(slug, []);
          out(`Channel "${slug}" lists no locations any more: its advisers record none.`);
          out('Registrations that recorded one keep it; the form shows it as removed.');
        } else if (entries.length > 0) {
          const saved = await admin.setChannelLocations(slug, entries);
          out(`Channel "${slug}" now lists ${saved.length} location(s):`);
          show(saved).forEach(out);
          out('Its advisers see the list when they next sign in.');
        } else {
          const locations = await admin.channelLocations(slug);
          if (locations.length === 0) return out(`Channel "${slug}" lists no locations: its advisers record none.`);
          out(`Locations of channel "${slug}":`);
          show(locations).forEach(out);
        }
      };
    },
  },
  {
    group: 'channel',
    name: 'retention',
    args: ['<slug>'],
    optional: ['[<months>]'],
    options: {},
    summary: 'Show or set how many months after closure a closed case of the channel is deleted.',
    details: [
      `<months> is a whole number from ${RETENTION_MONTHS_MIN} to ${RETENTION_MONTHS_MAX}; a new channel keeps ${RETENTION_MONTHS_DEFAULT} unless created with --retention.`,
      'Retention deletes a closed case that many calendar months after it was closed, unless an adviser put',
      'it on legal hold; what the annual report counts stays until the end of the next calendar year.',
      'Shortening it makes cases closed longer ago due at once: the command says how many.',
    ],
    plan: (input) => {
      const [slug, given] = input.positionals as [string, string | undefined];
      const wanted = given === undefined ? undefined : wholeNumber(given, '<months>', RETENTION_MONTHS_MIN, RETENTION_MONTHS_MAX);
      return async ({ admin, out }) => {
        if (wanted === undefined) {
          const current = await admin.channelRetention(slug);
          return out(`Channel "${slug}" deletes a closed case ${months(current)} after closure, unless it is held.`);
        }
        const change = await admin.setChannelRetention(slug, wanted);
        out(
          change.previous === change.months
            ? `Channel "${slug}" deletes a closed case ${months(change.months)} after closure already: nothing changed.`
            : `Channel "${slug}" now deletes a closed case ${months(change.months)} after closure (was ${months(change.previous)}), unless it is held.`,
        );
        if (change.overdue > 0) {
          out(`${change.overdue} closed case(s) of the channel were closed longer ago than that: retention deletes them at its next run.`);
        }
      };
    },
  },
  {
    group: 'channel',
    name: 'mail',
    args: ['<slug>'],
    optional: ['[immediate|digest-only]'],
    options: {},
    summary: "Show or set whether the channel's news may be mailed right after an event, or only in the daily digest.",
    details: [
      '"immediate" (the default) lets each adviser or recipient opt in to mail right after an event, beside the',
      'daily digest. "digest-only" turns that off for the channel: its news then reaches everyone only in the',
      'digest, which goes at one fixed time whether or not anything happened. Choose it when the organisation',
      "can read its staff's mail: the moment of an immediate mail shows when a reporter acted.",
    ],
    plan: (input) => {
      const [slug, given] = input.positionals as [string, string | undefined];
      if (given !== undefined && given !== 'immediate' && given !== 'digest-only') throw new UsageError(`the mail setting is "immediate" or "digest-only", got "${given}"`);
      return async ({ admin, out }) => {
        const current = await admin.channelImmediateMail(slug);
        if (given === undefined) return out(mailLine(slug, current));
        const wanted = given === 'immediate';
        if (wanted === current) return out(`${mailLine(slug, wanted)} Nothing changed.`);
        await admin.updateChannel(slug, { immediateMail: wanted });
        out(mailLine(slug, wanted));
        if (!wanted) out('People who had chosen immediate mail get this channel\'s news in their digest from now on; their choice stays for other channels.');
      };
    },
  },
  {
    group: 'channel',
    name: 'remove-adviser',
    args: ['<channel-slug>', '<username>'],
    options: { yes: { type: 'boolean', help: 'Remove the adviser; without it the command only says what removing would do.' } },
    summary: 'Take an adviser off a channel, with their keys to its cases.',
    details: [
      'No new report of the channel is sealed to them, and their keys to its cases are deleted: they can no',
      "longer open those cases. Their keys to other channels' cases and their account stay (see confidant",
      'account disable). A case nobody else holds a key to can never be read again, by anyone.',
      'Without --yes nothing changes: the command counts what would be lost.',
    ],
    plan: (input) => {
      const [slug, username] = input.positionals as [string, string];
      const confirmed = input.values.yes === true;
      return async ({ admin, out }) => {
        if (!confirmed) return printRemovalPreview(out, await admin.previewAdviserRemoval(slug, username));
        printRemoval(out, await admin.removeAdviser(slug, username));
      };
    },
  },
  {
    group: 'invite',
    name: 'adviser',
    args: [],
    options: { channel: { type: 'string', value: '<slug>', required: true, help: 'The channel the adviser will serve.' } },
    summary: 'Print a one-time link for an adviser to set up an account.',
    plan: (input) => async ({ admin, config, out }) => {
      const invite = await admin.createInvite({ role: 'adviser', channel: str(input, 'channel') });
      printInvite(out, config, invite, `an adviser of channel "${str(input, 'channel')}"`);
    },
  },
  {
    group: 'invite',
    name: 'recipient',
    args: [],
    options: { org: { type: 'string', value: '<slug>', required: true, help: 'The organisation whose relays the recipient reads.' } },
    summary: 'Print a one-time link for an organisation recipient.',
    plan: (input) => async ({ admin, config, out }) => {
      const invite = await admin.createInvite({ role: 'recipient', organisation: str(input, 'org') });
      printInvite(out, config, invite, `a recipient of organisation "${str(input, 'org')}"`);
    },
  },
  {
    group: 'invite',
    name: 'operator',
    args: [],
    options: {},
    summary: "Print a one-time link for another operator, who then runs the console at /operator.",
    plan: () => async ({ admin, config, out }) => {
      const invite = await admin.createInvite({ role: 'operator' });
      printInvite(out, config, invite, 'an operator of this installation');
    },
  },
  {
    group: 'invite',
    name: 'list',
    args: [],
    options: {},
    summary: 'List the invites that are neither used nor expired.',
    plan: () => async ({ admin, out }) => {
      const invites = await admin.listPendingInvites();
      if (invites.length === 0) return out('No pending invites.');
      table(
        ['ID', 'ROLE', 'TARGET', 'EXPIRES'],
        invites.map((i) => [i.id, i.role, i.target, formatDate(i.expiresAt)]),
      ).forEach(out);
    },
  },
  {
    group: 'invite',
    name: 'revoke',
    args: ['<id>'],
    options: {},
    summary: 'Revoke a pending invite by the id "invite list" shows: its link then works no more.',
    details: ['A used invite cannot be revoked: disable the account it made (confidant account disable <username>).'],
    plan: (input) => async ({ admin, out }) => {
      const invite = await admin.revokeInvite(input.positionals[0]!);
      out(`Revoked invite ${invite.id} (${invite.role}, ${invite.target}): its link works no more.`);
    },
  },
  {
    group: 'account',
    name: 'list',
    args: [],
    options: {},
    summary: 'List the staff accounts: advisers with their channels, recipients with their organisation.',
    plan: () => async ({ admin, out }) => {
      const accounts = await admin.listAccounts();
      if (accounts.length === 0) return out('No accounts yet.');
      table(
        ['USERNAME', 'ROLE', 'NAME', 'SERVES', 'CREATED', 'STATUS'],
        accounts.map((a) => [a.username, a.role, printable(a.displayName), serves(a), formatDate(a.createdAt), a.disabledAt ? 'DISABLED' : 'active']),
      ).forEach(out);
    },
  },
  {
    group: 'account',
    name: 'disable',
    args: ['<username>'],
    options: {},
    summary: 'Stop an account signing in, end its sessions, and stop sealing new reports or relays to it.',
    details: [
      'Its keys to cases stay, so enabling it gives its access back; to take an adviser off a channel with',
      'their keys, use confidant channel remove-adviser. An account disabled already stays so (exit code 0).',
    ],
    plan: (input) => async ({ admin, out }) => printDisabled(out, await admin.disableAccount(input.positionals[0]!)),
  },
  {
    group: 'account',
    name: 'enable',
    args: ['<username>'],
    options: {},
    summary: 'Let a disabled account sign in again; the sessions that disabling ended stay ended.',
    details: ['An account that is active already stays so (exit code 0).'],
    plan: (input) => async ({ admin, out }) => printEnabled(out, await admin.enableAccount(input.positionals[0]!)),
  },
  {
    group: 'backup',
    name: '',
    args: ['<file>'],
    options: {},
    fileArgument: true,
    summary: 'Write a consistent copy of the embedded database to <file>, and the evidence files to <file>.files, also while the service runs.',
    details: [
      'The file is a gzipped tar of the database folder, readable only by you; it is created, never overwritten.',
      'The evidence files (FILES_DIR: ciphertext only) are copied after it into the new folder <file>.files,',
      'so it holds every file the database lists, except one deleted meanwhile.',
      'Both hold what the service holds: ciphertext, keys sealed to their owners, the audit log and the',
      'instance secrets. Keep them as confidential as the database. Restore them with "confidant restore".',
      'On PostgreSQL, use pg_dump instead: pg_dump --format=custom --file <file> "$DATABASE_URL", then copy FILES_DIR.',
      'With S3_BUCKET the evidence files are in the bucket: back it up with its own means (versioning or replication).',
    ],
    plan: (input) => async ({ database, config, out }) => {
      const file = input.positionals[0]!;
      const filesCopy = `${file}.files`;
      if (!database.dump) {
        throw new UsageError(`the database is PostgreSQL: back it up with pg_dump --format=custom --file ${file} "$DATABASE_URL", then copy ${config.filesDir} (cp -a ${config.filesDir} ${filesCopy})`);
      }
      if (existsSync(filesCopy)) throw new UsageError(`${filesCopy} exists already: choose a new file`);
      const bytes = await database.dump();
      await writeFile(file, bytes, { flag: 'wx', mode: 0o600 }).catch((error: NodeJS.ErrnoException) => {
        throw new UsageError(error.code === 'EEXIST' ? `${file} exists already: choose a new file` : `cannot write ${file}: ${error.message}`);
      });
      out(`Backup written to ${file} (${bytes.length} bytes).`);
      if (config.s3) {
        out(`The evidence files are in the S3 bucket ${config.s3.bucket}, not copied: back the bucket up with its own means (versioning or replication), after this dump.`);
        return;
      }
      // After the dump: the copy then holds every body the dump lists (bodies are written before their row counts them).
      const copied = await copyFileStore(config.filesDir, filesCopy).catch((error: NodeJS.ErrnoException) => {
        throw new UsageError(`cannot copy the evidence files to ${filesCopy}: ${error.message}`);
      });
      out(`Evidence files copied to ${filesCopy} (${copied.files} files, ${copied.bytes} bytes).`);
    },
  },
  {
    group: 'restore',
    name: '',
    args: ['<file>'],
    options: {},
    fileArgument: true,
    summary: 'Make the embedded database in DATA_DIR from a backup, and FILES_DIR from <file>.files; both must be empty or absent.',
    details: ['Then start the service on DATA_DIR. A restore never overwrites a database or a file.', 'On PostgreSQL, use pg_restore, and copy the files folder back into FILES_DIR.'],
    standalone: async (input, config, out) => {
      const file = input.positionals[0]!;
      const filesCopy = `${file}.files`;
      if (config.databaseUrl) throw new UsageError(`DATABASE_URL is set: restore a PostgreSQL backup with pg_restore --dbname "$DATABASE_URL" ${file}, and copy ${filesCopy} into ${config.filesDir}`);
      const dump = await readFile(file).catch((error: NodeJS.ErrnoException) => {
        throw new UsageError(`cannot read ${file}: ${error.message}`);
      });
      const withFiles = existsSync(filesCopy);
      // Checked before the database is made: a refused restore leaves nothing half done.
      if (withFiles && !config.s3 && existsSync(config.filesDir) && readdirSync(config.filesDir).length > 0) throw new UsageError(`FILES_DIR ${config.filesDir} is not empty: restore into a new folder`);
      await restoreEmbedded(config.dataDir, dump);
      out(`Restored ${file} into ${config.dataDir}.`);
      if (config.s3) {
        out(`The evidence files stay in the S3 bucket ${config.s3.bucket}${withFiles ? ` (${filesCopy} is not used)` : ''}: files the database lists answer file_body_missing until their bodies are in it.`);
      } else if (withFiles) {
        if (existsSync(config.filesDir)) rmdirSync(config.filesDir);
        const copied = await copyFileStore(filesCopy, config.filesDir);
        out(`Restored the evidence files (${copied.files}) into ${config.filesDir}.`);
      } else {
        out(`No evidence files beside the backup (${filesCopy}): files the database lists answer file_body_missing until their bodies are in ${config.filesDir}.`);
      }
      out(`Start the service on it: DATA_DIR=${config.dataDir} npm start`);
    },
    plan: () => async () => undefined,
  },
  {
    group: 'audit',
    name: 'verify',
    args: [],
    options: {},
    summary: 'Seal pending audit events, then check the hash chain of the audit log; exit 1 naming the first broken entry.',
    plan: () => async ({ audit, out }) => {
      await audit.seal();
      const result = await audit.verify();
      if (!result.ok) throw new AuditBroken(`audit log broken at entry ${result.brokenAt}: ${result.reason}`);
      out(`Audit log intact: ${result.entries} entries.`);
    },
  },
];

/** A verified audit log that is not intact: exit code 1, one line on stderr. */
export class AuditBroken extends Error {
  override name = 'AuditBroken';
}

/** What an account serves, for the list: an adviser's channels, a recipient's organisation. */
function serves(account: StaffAccountSummary): string {
  if (account.role === 'recipient') return `organisation ${account.organisation ?? ''}`;
  if (account.channels.length === 0) return 'no channel';
  return `${account.channels.length === 1 ? 'channel' : 'channels'} ${account.channels.join(', ')}`;
}

/** The channels whose pinned reporters' links changed with their list of advisers. */
function printLinksToRenew(out: (line: string) => void, slugs: readonly string[]): void {
  if (slugs.length === 0) return;
  out("The advisers offered to reporters changed: print the pinned reporters' link again and publish it:");
  slugs.forEach((slug) => out(`  confidant channel link ${slug}`));
}

function printDisabled(out: (line: string) => void, change: AccountChange): void {
  if (!change.changed) {
    out(`Account "${change.username}" is disabled already${change.disabledAt ? ` (since ${formatDate(change.disabledAt)})` : ''}: nothing changed.`);
    return;
  }
  out(`Disabled account "${change.username}" (${change.role}): they can no longer sign in; ${change.sessionsEnded} session(s) ended.`);
  out(change.role === 'adviser' ? 'New reports are no longer sealed to them.' : 'New relays are no longer sealed to them.');
  out(`Their keys to cases stay: "confidant account enable ${change.username}" gives their access back.`);
  printLinksToRenew(out, change.channels);
}

function printEnabled(out: (line: string) => void, change: AccountChange): void {
  if (!change.changed) {
    out(`Account "${change.username}" is active already: nothing changed.`);
    return;
  }
  out(`Enabled account "${change.username}" (${change.role}): they can sign in again; the sessions that disabling ended stay ended.`);
  out(change.role === 'adviser' ? 'New reports of their channels are sealed to them again.' : 'New relays are sealed to them again.');
  printLinksToRenew(out, change.channels);
}

function printRemovalPreview(out: (line: string) => void, removal: AdviserRemoval): void {
  const { channel, username } = removal;
  out(`Removing "${username}" (${printable(removal.displayName)}) from channel "${channel}" would:`);
  out(`  - stop sealing new reports of "${channel}" to them;`);
  out(`  - delete their keys to ${removal.cases} case(s) of "${channel}": they could no longer open them.`);
  if (removal.unreadable > 0) {
    out(`${removal.unreadable} of those case(s) no other active adviser holds a key to: nobody could ever read them again.`);
  } else if (removal.cases > 0) {
    out('Another active adviser holds a key to each of those cases.');
  }
  out('Nothing was changed. To remove the adviser, run again with --yes:');
  out(`  confidant channel remove-adviser ${channel} ${username} --yes`);
}

function printRemoval(out: (line: string) => void, removal: AdviserRemoval): void {
  const { channel, username } = removal;
  out(`Removed "${username}" from channel "${channel}": new reports of it are no longer sealed to them.`);
  out(`Deleted their keys to ${removal.cases} case(s) of the channel.`);
  if (removal.unreadable > 0) out(`${removal.unreadable} of those case(s) no active adviser holds a key to any more: nobody can read them.`);
  printLinksToRenew(out, [channel]);
  if (removal.otherChannels.length === 0) {
    out(`"${username}" serves no channel any more; to stop them signing in: confidant account disable ${username}`);
  }
}

function printInvite(out: (line: string) => void, config: Config, invite: CreatedInvite, who: string): void {
  out(`One-time invite for ${who}:`);
  out('');
  out(`  ${inviteLink(config.publicUrl, invite)}`);
  out('');
  out(`It expires ${formatDate(invite.expiresAt)} (in ${INVITE_DAYS} days).`);
  out('This link is shown only now and cannot be looked up later: pass it on over a safe route.');
}

/** What a channel's mail setting means, in one line. */
function mailLine(slug: string, immediateMail: boolean): string {
  return immediateMail
    ? `Mail: channel "${slug}" is in the daily digest; staff may also choose mail right after an event.`
    : `Mail: channel "${slug}" is in the daily digest only; nobody gets mail right after an event.`;
}

export const groups = ['org', 'channel', 'invite', 'account', 'audit', 'backup', 'restore'] as const;

export const usage = (c: Command): string =>
  [
    c.name ? `confidant ${c.group} ${c.name}` : `confidant ${c.group}`,
    ...c.args,
    ...(c.optional ?? []),
    ...(c.rest ? [c.rest] : []),
    ...Object.entries(c.options).map(([name, o]) => {
      const flag = o.value ? `--${name} ${o.value}` : `--${name}`;
      return o.required ? flag : `[${flag}]`;
    }),
  ].join(' ');

/** parseArgs options of a command, with --help. */
export function optionSpecs(c: Command): OptionSpecs {
  const specs: OptionSpecs = { help: { type: 'boolean', short: 'h' } };
  for (const [name, o] of Object.entries(c.options)) specs[name] = { type: o.type };
  return specs;
}

/** Positional count and required options, as one usage line when something is missing. */
export function checkInput(c: Command, input: Parsed): void {
  const missingArg = c.args[input.positionals.length];
  if (missingArg) throw new UsageError(`missing ${missingArg}; usage: ${usage(c)}`);
  const extra = input.positionals[c.args.length + (c.optional?.length ?? 0)];
  if (extra !== undefined && !c.rest) throw new UsageError(`unexpected argument "${extra}"; usage: ${usage(c)}`);
  for (const [name, o] of Object.entries(c.options)) {
    if (o.required && input.values[name] === undefined) throw new UsageError(`missing --${name}; usage: ${usage(c)}`);
  }
}

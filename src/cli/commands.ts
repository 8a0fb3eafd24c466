/** The command table of `confidant`: what each command takes, its help, and its work. */
import type { Config } from '../server/config.js';
import { INVITE_DAYS, inviteLink, type Administration, type CreatedInvite } from '../server/services/administration.js';
import type { Audit } from '../server/services/audit.js';
import type { Channels } from '../server/services/channels.js';
import { keyFingerprint } from '../protocol/index.js';
import { UsageError, wholeNumber, type OptionSpecs, type Parsed } from './args.js';
import { formatDate, table } from './output.js';

/** What a command's work receives once the configuration is read and the database is open. */
export interface Context {
  admin: Administration;
  audit: Audit;
  channels: Channels;
  config: Config;
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
  group: 'org' | 'channel' | 'invite' | 'audit';
  name: string;
  /** Positional arguments in usage form, all required: `<slug>`. */
  args: string[];
  options: Record<string, Option>;
  summary: string;
  /** Checks the parsed arguments (before the database is opened) and returns the work to do. */
  plan(input: Parsed): Work;
}

const str = (input: Parsed, name: string): string => input.values[name] as string;

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
    },
    summary: 'Create a reporting channel of an organisation.',
    plan: (input) => {
      const raw = input.values['pow-difficulty'] as string | undefined;
      const powDifficulty = raw === undefined ? undefined : wholeNumber(raw, '--pow-difficulty', 0, 32);
      return async ({ admin, config, out }) => {
        const channel = await admin.createChannel({
          slug: input.positionals[0]!,
          name: str(input, 'name'),
          organisation: str(input, 'org'),
          consentRequired: input.values['no-consent'] !== true,
          powDifficulty,
        });
        out(`Created channel "${channel.slug}" (${channel.name}) of organisation "${channel.organisationSlug}".`);
        out(`Reporters use: ${config.publicUrl}/c/${channel.slug}`);
        out(
          channel.consentRequired
            ? 'Relays: the reporter approves each relay text before it is sent.'
            : 'Relays: sent without asking the reporter for approval.',
        );
        out(`Proof-of-work difficulty: ${channel.powDifficulty}.`);
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
        ['SLUG', 'NAME', 'ORGANISATION', 'CONSENT', 'POW'],
        channels.map((c) => [c.slug, c.name, c.organisationSlug, c.consentRequired ? 'required' : 'no', String(c.powDifficulty)]),
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
      const advisers = channel.advisers.map((a) => ({ name: a.name, fingerprint: keyFingerprint(a.boxPublicKey, a.signPublicKey) }));
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

function printInvite(out: (line: string) => void, config: Config, invite: CreatedInvite, who: string): void {
  out(`One-time invite for ${who}:`);
  out('');
  out(`  ${inviteLink(config.publicUrl, invite)}`);
  out('');
  out(`It expires ${formatDate(invite.expiresAt)} (in ${INVITE_DAYS} days).`);
  out('This link is shown only now and cannot be looked up later: pass it on over a safe route.');
}

export const groups = ['org', 'channel', 'invite', 'audit'] as const;

export const usage = (c: Command): string =>
  [
    `confidant ${c.group} ${c.name}`,
    ...c.args,
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
  const extra = input.positionals[c.args.length];
  if (extra !== undefined) throw new UsageError(`unexpected argument "${extra}"; usage: ${usage(c)}`);
  for (const [name, o] of Object.entries(c.options)) {
    if (o.required && input.values[name] === undefined) throw new UsageError(`missing --${name}; usage: ${usage(c)}`);
  }
}

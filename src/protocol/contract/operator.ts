/**
 * Extension: the operator's console (docs/protocol.md §6 "Operator"): organisations, channels,
 * invites and staff accounts, for accounts of role `operator`. Nothing here names a case: the
 * operator learns how many cases an adviser would lose, never which.
 */
import { Type, type Static } from '@sinclair/typebox';
import { operation } from './operation.js';
import { IsoTime, NullableTime, OpaqueId, PlainText, Slug, StringEnum, Strict } from './primitives.js';

const RETENTION = { minimum: 1, maximum: 120 } as const;
const Name = PlainText(1, 200);
const Username = Type.String({ minLength: 3, maxLength: 64, pattern: '^[a-z0-9][a-z0-9._-]*$' });
const PowDifficulty = Type.Integer({ minimum: 0, maximum: 32, description: 'Leading zero bits a submission must find (§6 "Proof of work").' });
const ImmediateMail = Type.Boolean({
  description: "Whether the channel's advisers may opt in to mail right after an event; false: the daily digest only, so that no mail's timing tells when a reporter acted.",
});
const RetentionMonths = Type.Integer({ ...RETENTION, description: 'Months after closure when a closed case is deleted, unless on legal hold (§4).' });

export const OperatorOrganisation = Strict({ slug: Slug, name: Type.String(), createdAt: IsoTime });
export type OperatorOrganisation = Static<typeof OperatorOrganisation>;

export const OrganisationList = Strict({ organisations: Type.Array(OperatorOrganisation) });
export const NewOrganisation = Strict({ slug: Slug, name: Name });

export const ChannelLocation = Strict({ id: Type.String({ minLength: 1, maxLength: 40 }), name: Type.String({ minLength: 1, maxLength: 200 }) });

export const OperatorChannel = Strict({
  slug: Slug,
  name: Type.String(),
  organisation: Slug,
  consentRequired: Type.Boolean({ description: 'Whether a relay needs the reporter\'s approval before it goes to the organisation (§5).' }),
  powDifficulty: PowDifficulty,
  retentionMonths: RetentionMonths,
  immediateMail: ImmediateMail,
  locations: Type.Array(ChannelLocation),
  createdAt: IsoTime,
});
export type OperatorChannel = Static<typeof OperatorChannel>;

export const ChannelList = Strict({ channels: Type.Array(OperatorChannel) });

export const NewChannel = Strict({
  slug: Slug,
  name: Name,
  organisation: Slug,
  consentRequired: Type.Optional(Type.Boolean()),
  powDifficulty: Type.Optional(PowDifficulty),
  retentionMonths: Type.Optional(RetentionMonths),
  immediateMail: Type.Optional(ImmediateMail),
});

export const ChannelChange = Strict(
  {
    name: Type.Optional(Name),
    consentRequired: Type.Optional(Type.Boolean()),
    powDifficulty: Type.Optional(PowDifficulty),
    retentionMonths: Type.Optional(RetentionMonths),
    immediateMail: Type.Optional(ImmediateMail),
  },
  { description: 'The fields to change; absent ones stay.' },
);
export type ChannelChange = Static<typeof ChannelChange>;

export const ChannelChanged = Strict({
  channel: OperatorChannel,
  overdue: Type.Integer({ minimum: 0, description: 'Closed cases, not held, that the retention now in force makes due for deletion at once.' }),
});

export const ChannelParams = Strict({ slug: Slug });
export const LocationsBody = Strict({ locations: Type.Array(ChannelLocation, { maxItems: 50 }) });

export const InviteRole = StringEnum(['adviser', 'recipient', 'operator']);

export const OperatorInvite = Strict({
  id: Type.String(),
  role: InviteRole,
  target: Type.String({ description: '"channel <slug>", "organisation <slug>" or "installation".' }),
  createdAt: IsoTime,
  expiresAt: IsoTime,
});
export const InviteList = Strict({ invites: Type.Array(OperatorInvite) });

export const NewInvite = Type.Union(
  [
    Strict({ role: Type.Literal('adviser'), channel: Slug }),
    Strict({ role: Type.Literal('recipient'), organisation: Slug }),
    Strict({ role: Type.Literal('operator') }),
  ],
  { description: 'An adviser for a channel, a recipient for an organisation, or another operator.' },
);
export type NewInvite = Static<typeof NewInvite>;

export const CreatedInvite = Strict({
  id: Type.String(),
  role: InviteRole,
  link: Type.String({ description: 'The one-time link, shown once: the server keeps only a hash of its token.' }),
  expiresAt: IsoTime,
});

export const InviteParams = Strict({ inviteId: OpaqueId });

export const OperatorAccount = Strict({
  username: Type.String(),
  role: InviteRole,
  displayName: Type.String(),
  channels: Type.Array(Slug, { description: "An adviser's channels; empty for others." }),
  organisation: Type.Union([Slug, Type.Null()], { description: "A recipient's organisation; null for others." }),
  createdAt: IsoTime,
  disabledAt: NullableTime,
});
export const AccountList = Strict({ accounts: Type.Array(OperatorAccount) });

export const AccountParams = Strict({ username: Username });

export const AccountChanged = Strict({
  username: Type.String(),
  changed: Type.Boolean({ description: 'False when the account was so already.' }),
  disabledAt: NullableTime,
  sessionsEnded: Type.Integer({ minimum: 0 }),
});

export const AdviserParams = Strict({ slug: Slug, username: Username });

export const AdviserRemoval = Strict({
  channel: Slug,
  username: Type.String(),
  displayName: Type.String(),
  cases: Type.Integer({ minimum: 0, description: 'Cases of the channel the adviser holds a key to: they lose it.' }),
  unreadable: Type.Integer({ minimum: 0, description: 'Of those, the cases no other enabled account can read afterwards.' }),
  otherChannels: Type.Array(Slug),
});

export const RemovalConfirmation = Strict({
  cases: Type.Integer({ minimum: 0, description: 'The number of cases the operator was shown and confirmed; a different number refuses the removal (`removal_changed`).' }),
});

const operatorOperation = <const T extends { method: string; url: string; operationId: string; summary: string }>(definition: T) =>
  ({ ...definition, tag: 'operator', auth: 'staff' }) as const;

export const OperatorAttention = Strict(
  {
    channelsWithoutAdviser: Type.Array(Type.String(), { description: 'Names of the channels no enabled adviser serves: a report there has nobody to read it.' }),
    organisationsWithoutRecipient: Type.Array(Type.String(), { description: 'Names of the organisations no enabled recipient serves: a relay to them has nobody to receive it.' }),
    invitesExpiringSoon: Type.Integer({ minimum: 0, description: 'Unused invites that lapse within two days.' }),
  },
  { description: "What the configuration asks of the operators: the operator's daily digest says the same." },
);

export const getOperatorAttention = operation({
  ...operatorOperation({ method: 'GET', url: '/api/v1/operator/attention', operationId: 'getOperatorAttention', summary: 'Extension: what in the configuration needs an operator' }),
  response: { 200: OperatorAttention },
  errors: [401, 403],
});

export const listOrganisations = operation({
  ...operatorOperation({ method: 'GET', url: '/api/v1/operator/organisations', operationId: 'listOrganisations', summary: 'Extension: every organisation' }),
  response: { 200: OrganisationList },
  errors: [401, 403],
});

export const createOrganisation = operation({
  ...operatorOperation({ method: 'POST', url: '/api/v1/operator/organisations', operationId: 'createOrganisation', summary: 'Extension: a new organisation' }),
  body: NewOrganisation,
  response: { 201: OperatorOrganisation },
  errors: [400, 401, 403, 409],
});

export const listOperatorChannels = operation({
  ...operatorOperation({ method: 'GET', url: '/api/v1/operator/channels', operationId: 'listOperatorChannels', summary: 'Extension: every channel with its settings' }),
  response: { 200: ChannelList },
  errors: [401, 403],
});

export const createChannel = operation({
  ...operatorOperation({ method: 'POST', url: '/api/v1/operator/channels', operationId: 'createChannel', summary: 'Extension: a new channel of an organisation' }),
  body: NewChannel,
  response: { 201: OperatorChannel },
  errors: [400, 401, 403, 404, 409],
});

export const updateChannel = operation({
  ...operatorOperation({ method: 'PATCH', url: '/api/v1/operator/channels/:slug', operationId: 'updateChannel', summary: "Extension: change a channel's name, consent rule, proof of work or retention" }),
  params: ChannelParams,
  body: ChannelChange,
  response: { 200: ChannelChanged },
  errors: [400, 401, 403, 404],
});

export const putChannelLocations = operation({
  ...operatorOperation({ method: 'PUT', url: '/api/v1/operator/channels/:slug/locations', operationId: 'putChannelLocations', summary: "Extension: replace a channel's list of departments or locations" }),
  params: ChannelParams,
  body: LocationsBody,
  response: { 200: LocationsBody },
  errors: [400, 401, 403, 404],
});

export const listInvites = operation({
  ...operatorOperation({ method: 'GET', url: '/api/v1/operator/invites', operationId: 'listInvites', summary: 'Extension: the invites not used or expired yet' }),
  response: { 200: InviteList },
  errors: [401, 403],
});

export const createInvite = operation({
  ...operatorOperation({ method: 'POST', url: '/api/v1/operator/invites', operationId: 'createInvite', summary: 'Extension: a one-time invite link, valid for 7 days' }),
  body: NewInvite,
  response: { 201: CreatedInvite },
  errors: [400, 401, 403, 404],
});

export const revokeInvite = operation({
  ...operatorOperation({ method: 'DELETE', url: '/api/v1/operator/invites/:inviteId', operationId: 'revokeInvite', summary: 'Extension: revoke an open invite; its link then answers like an unknown one' }),
  params: InviteParams,
  response: { 200: OperatorInvite },
  errors: [400, 401, 403, 404, 409],
});

export const listAccounts = operation({
  ...operatorOperation({ method: 'GET', url: '/api/v1/operator/accounts', operationId: 'listAccounts', summary: 'Extension: every staff account, with what it serves' }),
  response: { 200: AccountList },
  errors: [401, 403],
});

export const disableAccount = operation({
  ...operatorOperation({ method: 'POST', url: '/api/v1/operator/accounts/:username/disable', operationId: 'disableAccount', summary: 'Extension: disable an account and end its sessions' }),
  params: AccountParams,
  response: { 200: AccountChanged },
  errors: [400, 401, 403, 404, 409],
});

export const enableAccount = operation({
  ...operatorOperation({ method: 'POST', url: '/api/v1/operator/accounts/:username/enable', operationId: 'enableAccount', summary: 'Extension: let a disabled account sign in again' }),
  params: AccountParams,
  response: { 200: AccountChanged },
  errors: [400, 401, 403, 404],
});

export const previewAdviserRemoval = operation({
  ...operatorOperation({ method: 'GET', url: '/api/v1/operator/channels/:slug/advisers/:username', operationId: 'previewAdviserRemoval', summary: 'Extension: what removing an adviser from a channel would do' }),
  params: AdviserParams,
  response: { 200: AdviserRemoval },
  errors: [400, 401, 403, 404],
});

export const removeAdviser = operation({
  ...operatorOperation({ method: 'DELETE', url: '/api/v1/operator/channels/:slug/advisers/:username', operationId: 'removeAdviser', summary: "Extension: take an adviser off a channel, deleting their keys to its cases, once the operator confirmed how many" }),
  params: AdviserParams,
  body: RemovalConfirmation,
  response: { 200: AdviserRemoval },
  errors: [400, 401, 403, 404, 409],
});

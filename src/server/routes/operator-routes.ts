/**
 * Extension: the operator's console (services/administration.ts), for accounts of role
 * `operator`, each change audited as the operator who made it. Nothing here reads a case.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import {
  createChannel, createInvite, createOrganisation, disableAccount, enableAccount, getOperatorAttention, listAccounts, listInvites, listOperatorChannels,
  listOrganisations, previewAdviserRemoval, putChannelLocations, removeAdviser, revokeInvite, updateChannel
} from '../../protocol/contract/index.js';
import { timeOrNull } from '../bytes.js';
import { conflict } from '../errors.js';
import { staffGuards } from '../plugins/staff-auth.js';
import { inviteLink, type AccountChange, type Channel, type Organisation, type PendingInvite } from '../services/administration.js';
import { routeOf } from './operation-route.js';

const organisationOut = (o: Organisation) => ({ slug: o.slug, name: o.name, createdAt: o.createdAt.toISOString() });

const channelOut = (c: Channel) => ({
  slug: c.slug,
  name: c.name,
  organisation: c.organisationSlug,
  consentRequired: c.consentRequired,
  powDifficulty: c.powDifficulty,
  retentionMonths: c.retentionMonths,
  immediateMail: c.immediateMail,
  locations: c.locations,
  createdAt: c.createdAt.toISOString(),
});

const inviteOut = (i: PendingInvite) => ({ id: i.id, role: i.role, target: i.target, createdAt: i.createdAt.toISOString(), expiresAt: i.expiresAt.toISOString() });

const accountChangeOut = (c: AccountChange) => ({ username: c.username, changed: c.changed, disabledAt: timeOrNull(c.disabledAt), sessionsEnded: c.sessionsEnded });

export const operatorRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { administration, administrationAs } = app.services;
  const guards = staffGuards(app);
  /** The administration, audited as the operator of this request. */
  const as = (request: Parameters<typeof guards.principal>[0]) => administrationAs(guards.principal(request).accountId);

  app.route({
    ...routeOf(listOrganisations),
    preHandler: guards.operator,
    handler: async () => ({ organisations: (await administration.listOrganisations()).map(organisationOut) }),
  });

  app.route({
    ...routeOf(createOrganisation),
    preHandler: guards.operator,
    handler: async (request, reply) => reply.status(201).send(organisationOut(await as(request).createOrganisation(request.body))),
  });

  app.route({
    ...routeOf(listOperatorChannels),
    preHandler: guards.operator,
    handler: async () => ({ channels: (await administration.listChannels()).map(channelOut) }),
  });

  app.route({
    ...routeOf(createChannel),
    preHandler: guards.operator,
    handler: async (request, reply) => reply.status(201).send(channelOut(await as(request).createChannel(request.body))),
  });

  app.route({
    ...routeOf(updateChannel),
    preHandler: guards.operator,
    handler: async (request) => {
      const { channel, overdue } = await as(request).updateChannel(request.params.slug, request.body);
      return { channel: channelOut(channel), overdue };
    },
  });

  app.route({
    ...routeOf(putChannelLocations),
    preHandler: guards.operator,
    handler: async (request) => ({ locations: await as(request).setChannelLocations(request.params.slug, request.body.locations) }),
  });

  app.route({
    ...routeOf(getOperatorAttention),
    preHandler: guards.operator,
    handler: async () => administration.attention(),
  });

  app.route({
    ...routeOf(listInvites),
    preHandler: guards.operator,
    handler: async () => ({ invites: (await administration.listPendingInvites()).map(inviteOut) }),
  });

  app.route({
    ...routeOf(createInvite),
    preHandler: guards.operator,
    handler: async (request, reply) => {
      const invite = await as(request).createInvite(request.body);
      return reply.status(201).send({ id: invite.id, role: invite.role, link: inviteLink(app.config.publicUrl, invite), expiresAt: invite.expiresAt.toISOString() });
    },
  });

  app.route({
    ...routeOf(revokeInvite),
    preHandler: guards.operator,
    handler: async (request) => inviteOut(await as(request).revokeInvite(request.params.inviteId)),
  });

  app.route({
    ...routeOf(listAccounts),
    preHandler: guards.operator,
    handler: async () => ({
      accounts: (await administration.listAccounts()).map((a) => ({
        username: a.username,
        role: a.role,
        displayName: a.displayName,
        channels: a.channels,
        organisation: a.organisation,
        createdAt: a.createdAt.toISOString(),
        disabledAt: timeOrNull(a.disabledAt),
      })),
    }),
  });

  app.route({
    ...routeOf(disableAccount),
    preHandler: guards.operator,
    handler: async (request) => {
      // An operator who disabled themselves would end their own session and need another to undo it.
      if (request.params.username === guards.principal(request).username) throw conflict('own_account', 'You cannot disable your own account.');
      return accountChangeOut(await as(request).disableAccount(request.params.username));
    },
  });

  app.route({
    ...routeOf(enableAccount),
    preHandler: guards.operator,
    handler: async (request) => accountChangeOut(await as(request).enableAccount(request.params.username)),
  });

  app.route({
    ...routeOf(previewAdviserRemoval),
    preHandler: guards.operator,
    handler: async (request) => administration.previewAdviserRemoval(request.params.slug, request.params.username),
  });

  app.route({
    ...routeOf(removeAdviser),
    preHandler: guards.operator,
    handler: async (request) => as(request).removeAdviser(request.params.slug, request.params.username, new Date(), request.body.cases),
  });
};

/** Extension: a staff member's notification settings (services/notifications.ts). */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { getNotificationSettings, putNotificationSettings } from '../../protocol/contract/index.js';
import { digestTimeText } from '../mail/texts.js';
import { staffGuards } from '../plugins/staff-auth.js';
import type { NotificationSettings } from '../services/notifications.js';
import { routeOf } from './operation-route.js';

export const notificationRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { notificationSettings } = app.services;
  const guards = staffGuards(app);
  const mail = app.config.mail;
  const digestTime = mail ? digestTimeText(mail.digestMinuteUtc) : null;
  const view = async (accountId: string, settings: NotificationSettings) => ({
    ...settings,
    mailConfigured: mail !== null,
    digestTime,
    digestOnlyChannels: await notificationSettings.digestOnlyChannels(accountId),
  });

  app.route({
    ...routeOf(getNotificationSettings),
    preHandler: guards.notified,
    handler: async (request) => {
      const { accountId } = guards.principal(request);
      return view(accountId, await notificationSettings.get(accountId));
    },
  });

  app.route({
    ...routeOf(putNotificationSettings),
    preHandler: guards.notified,
    handler: async (request) => {
      const principal = guards.principal(request);
      return view(principal.accountId, await notificationSettings.set(principal, request.body));
    },
  });
};

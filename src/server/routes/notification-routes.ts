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
  const view = (settings: NotificationSettings) => ({ ...settings, mailConfigured: mail !== null, digestTime });

  app.route({
    ...routeOf(getNotificationSettings),
    preHandler: guards.staff,
    handler: async (request) => view(await notificationSettings.get(guards.principal(request).accountId)),
  });

  app.route({
    ...routeOf(putNotificationSettings),
    preHandler: guards.staff,
    handler: async (request) => view(await notificationSettings.set(guards.principal(request).accountId, request.body)),
  });
};

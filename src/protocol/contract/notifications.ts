/** Extension: where and how a staff member (any role) gets notifications (docs/protocol.md §6, "Notifications"). */
import { Type, type Static } from '@sinclair/typebox';
import { operation } from './operation.js';
import { Strict } from './primitives.js';

const Email = Type.Union([Type.String({ minLength: 3, maxLength: 254, description: 'One e-mail address, no display name.' }), Type.Null()], {
  description: 'Where notifications go; null: no mail at all.',
});

export const NotificationSettings = Strict({
  email: Email,
  immediate: Type.Boolean({
    description:
      'Mail right after an event, beside the daily digest. Its timing tells the mail servers when a reporter acted; false unless chosen. Always false without an address; refused for operators, who get the digest only.',
  }),
  lang: Type.Union([Type.Literal('nl'), Type.Literal('en')], { description: 'The language of the mail.' }),
});
export type NotificationSettings = Static<typeof NotificationSettings>;

export const NotificationSettingsView = Strict({
  ...NotificationSettings.properties,
  mailConfigured: Type.Boolean({ description: 'Whether this installation sends mail at all (SMTP_URL).' }),
  digestTime: Type.Union([Type.String({ pattern: '^\\d{2}:\\d{2}$' }), Type.Null()], { description: 'The daily digest time, HH:MM in UTC; null when mail is off.' }),
  digestOnlyChannels: Type.Array(Type.String(), {
    description: "The names of this adviser's channels whose operator turned immediate mail off: their news comes in the digest only.",
  }),
});
export type NotificationSettingsView = Static<typeof NotificationSettingsView>;

export const getNotificationSettings = operation({
  method: 'GET',
  url: '/api/v1/account/notifications',
  operationId: 'getNotificationSettings',
  summary: 'Extension: where and how this account gets notifications',
  tag: 'staff',
  auth: 'staff',
  response: { 200: NotificationSettingsView },
  errors: [401, 403],
});

export const putNotificationSettings = operation({
  method: 'PUT',
  url: '/api/v1/account/notifications',
  operationId: 'putNotificationSettings',
  summary: 'Extension: set where and how this account gets notifications',
  tag: 'staff',
  auth: 'staff',
  body: NotificationSettings,
  response: { 200: NotificationSettingsView },
  errors: [400, 401, 403],
});

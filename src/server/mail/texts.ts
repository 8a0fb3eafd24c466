/**
 * The words of notification mail, in Dutch and English. A digest has the same lines every day for
 * one person (one block per channel or organisation they serve) and each answer is padded to one
 * width, so that its size is the same with news or without. No mail names a case or what is in it.
 *
 * An operator's digest lists what in the installation's configuration needs them. Its size follows
 * that configuration, which no reporter changes, so it has the same lines but not one size.
 */
import type { MailLang } from '../services/notifications.js';
import type { OperatorAttention } from '../services/operator-attention.js';

export interface DigestPlace {
  name: string;
  news: boolean;
  /** Only for an adviser's channel: a legal deadline or a follow-up falls within two days. Undefined: no such line. */
  dueSoon?: boolean;
}

export interface MailText {
  subject: string;
  body: string;
}

const words = {
  nl: {
    digestSubject: 'Confidant: dagelijks overzicht',
    digestIntro: 'Dit is uw dagelijkse overzicht van Confidant.',
    news: 'Nieuw sinds het vorige overzicht',
    dueSoon: 'Termijn of vervolg binnen twee dagen',
    yes: 'ja',
    no: 'nee',
    signIn: 'Inloggen',
    digestWhy: (time: string) =>
      `U krijgt dit overzicht elke dag om ${time} (UTC), even groot, ook als er niets nieuws is: zo verraden het moment en de grootte van deze e-mail niet wanneer een melder iets deed. Deze e-mail noemt nooit een melding of wat erin staat.`,
    operatorIntro: 'Dit is uw dagelijkse overzicht van Confidant, als beheerder van deze installatie.',
    channelsWithoutAdviser: 'Kanalen zonder actieve vertrouwenspersoon',
    organisationsWithoutRecipient: 'Organisaties zonder actieve ontvanger',
    invitesExpiringSoon: 'Uitnodigingen die binnen twee dagen verlopen',
    none: 'geen',
    allWell: 'Niets vraagt nu uw aandacht.',
    operatorWhy: (time: string) =>
      `U krijgt dit overzicht elke dag om ${time} (UTC). Het noemt alleen de inrichting van deze installatie (kanalen, organisaties, uitnodigingen), nooit een melding.`,
    immediateSubject: 'Confidant: nieuwe activiteit',
    immediateIntro: 'Er is iets nieuws voor u in Confidant.',
    immediateWhy:
      'U krijgt deze e-mail omdat u koos voor bericht direct na een gebeurtenis. Het moment van deze e-mail laat uw mailserver zien wanneer er iets gebeurde; zet dit uit in Confidant om alleen het dagelijkse overzicht te krijgen.',
  },
  en: {
    digestSubject: 'Confidant: daily summary',
    digestIntro: 'This is your daily summary from Confidant.',
    news: 'New since the previous summary',
    dueSoon: 'Deadline or follow-up within two days',
    yes: 'yes',
    no: 'no',
    signIn: 'Sign in',
    digestWhy: (time: string) =>
      `You get this summary every day at ${time} (UTC), of the same size, even when there is nothing new: so neither the moment nor the size of this mail tells when a reporter acted. This mail never names a report or what is in it.`,
    operatorIntro: 'This is your daily summary from Confidant, as the operator of this installation.',
    channelsWithoutAdviser: 'Channels without an active adviser',
    organisationsWithoutRecipient: 'Organisations without an active recipient',
    invitesExpiringSoon: 'Invites that expire within two days',
    none: 'none',
    allWell: 'Nothing needs your attention now.',
    operatorWhy: (time: string) =>
      `You get this summary every day at ${time} (UTC). It names only this installation's configuration (channels, organisations, invites), never a report.`,
    immediateSubject: 'Confidant: new activity',
    immediateIntro: 'There is something new for you in Confidant.',
    immediateWhy:
      'You get this mail because you chose mail right after an event. Its moment shows your mail server when something happened; switch this off in Confidant to get the daily summary only.',
  },
} as const;

const signInUrl = (publicUrl: string) => `${publicUrl}/login`;

/** The digest's time of day as HH:MM (UTC), as mail and the settings page show it. */
export const digestTimeText = (digestMinuteUtc: number): string =>
  `${String(Math.floor(digestMinuteUtc / 60)).padStart(2, '0')}:${String(digestMinuteUtc % 60).padStart(2, '0')}`;

export function digestText(lang: MailLang, places: readonly DigestPlace[], publicUrl: string, digestMinuteUtc: number): MailText {
  const w = words[lang];
  const width = Math.max(w.yes.length, w.no.length);
  const answer = (value: boolean) => (value ? w.yes : w.no).padEnd(width, ' ');
  const time = digestTimeText(digestMinuteUtc);
  const lines: string[] = [w.digestIntro, ''];
  for (const place of places) {
    lines.push(place.name, `  ${w.news}: ${answer(place.news)}`);
    if (place.dueSoon !== undefined) lines.push(`  ${w.dueSoon}: ${answer(place.dueSoon)}`);
    lines.push('');
  }
  lines.push(`${w.signIn}: ${signInUrl(publicUrl)}`, '', w.digestWhy(time), '');
  return { subject: w.digestSubject, body: lines.join('\r\n') };
}

export function operatorDigestText(lang: MailLang, attention: OperatorAttention, publicUrl: string, digestMinuteUtc: number): MailText {
  const w = words[lang];
  const names = (list: readonly string[]) => (list.length === 0 ? w.none : list.join(', '));
  const quiet = attention.channelsWithoutAdviser.length === 0 && attention.organisationsWithoutRecipient.length === 0 && attention.invitesExpiringSoon === 0;
  const lines = [
    w.operatorIntro,
    '',
    `${w.channelsWithoutAdviser}: ${names(attention.channelsWithoutAdviser)}`,
    `${w.organisationsWithoutRecipient}: ${names(attention.organisationsWithoutRecipient)}`,
    `${w.invitesExpiringSoon}: ${attention.invitesExpiringSoon}`,
    '',
    ...(quiet ? [w.allWell, ''] : []),
    `${w.signIn}: ${signInUrl(publicUrl)}`,
    '',
    w.operatorWhy(digestTimeText(digestMinuteUtc)),
    '',
  ];
  return { subject: w.digestSubject, body: lines.join('\r\n') };
}

export function immediateText(lang: MailLang, publicUrl: string): MailText {
  const w = words[lang];
  return { subject: w.immediateSubject, body: [w.immediateIntro, '', `${w.signIn}: ${signInUrl(publicUrl)}`, '', w.immediateWhy, ''].join('\r\n') };
}

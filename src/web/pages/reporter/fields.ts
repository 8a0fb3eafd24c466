/**
 * What the report form can put in a report: the keys of `answers` and of `identity`. The
 * adviser's pages label every one of them (test/web-i18n.test.ts holds them to it).
 */

/** The questions of the form, in order. */
export const QUESTIONS = ['what', 'when', 'where', 'who', 'how'] as const;
export type Question = (typeof QUESTIONS)[number];

/** What a confidential reporter may tell about themselves. */
export const IDENTITY_FIELDS = ['name', 'contact'] as const;
export type IdentityField = (typeof IDENTITY_FIELDS)[number];

/** Strings of the organisation pages. Keys are `organisation.*`; both languages always have the same keys. */
export const organisation = {
  nl: {},
  en: {},
} satisfies Record<'nl' | 'en', Record<string, string>>;

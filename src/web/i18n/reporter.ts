/** Strings of the reporter pages. Keys are `reporter.*`; both languages always have the same keys. */
export const reporter = {
  nl: {},
  en: {},
} satisfies Record<'nl' | 'en', Record<string, string>>;

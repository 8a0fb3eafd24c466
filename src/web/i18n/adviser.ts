/** Strings of the adviser pages. Keys are `adviser.*`; both languages always have the same keys. */
export const adviser = {
  nl: {},
  en: {},
} satisfies Record<'nl' | 'en', Record<string, string>>;

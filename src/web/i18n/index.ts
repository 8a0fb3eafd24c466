/**
 * Dutch and English for every string a person reads. The language comes from the browser and
 * can be switched; a switch is kept in the address (`?lang=en`), so that it survives a reload
 * and a new tab, while nothing is stored (no cookie, no storage), so a shared device keeps no
 * trace of the visit beyond its history.
 */
import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import { common } from './common.js';
import { reporter } from './reporter.js';
import { adviser } from './adviser.js';
import { organisation } from './organisation.js';
import { operator } from './operator.js';

export type Lang = 'nl' | 'en';
export const LANGS: readonly Lang[] = ['nl', 'en'];

type Catalogue = Record<string, string>;
const catalogues: Record<Lang, Catalogue> = {
  nl: { ...common.nl, ...reporter.nl, ...adviser.nl, ...organisation.nl, ...operator.nl },
  en: { ...common.en, ...reporter.en, ...adviser.en, ...organisation.en, ...operator.en },
};

/** The language the address asks for (`?lang=en`), if it names one we have. */
export function addressLang(search: string = location.search): Lang | null {
  const asked = new URLSearchParams(search).get('lang');
  return asked === 'nl' || asked === 'en' ? asked : null;
}

/** `url` with the language in its query, its path, other parameters and fragment kept. */
export function withLang(url: string, lang: Lang): string {
  const target = new URL(url, location.origin);
  target.searchParams.set('lang', lang);
  return `${target.pathname}${target.search}${target.hash}`;
}

export function browserLang(languages: readonly string[] = navigator.languages): Lang {
  for (const tag of languages) {
    const base = tag.toLowerCase().split('-')[0];
    if (base === 'nl' || base === 'en') return base;
  }
  return 'nl';
}

/** A message with `{name}` placeholders filled in; the key itself when a string is missing. */
export function translate(lang: Lang, key: string, params: Record<string, string | number> = {}): string {
  const text = catalogues[lang][key] ?? catalogues.en[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name: string) => String(params[name] ?? `{${name}}`));
}

export const LangContext = createContext<{ lang: Lang; setLang(lang: Lang): void }>({ lang: 'nl', setLang: () => {} });

/** `t('key', { n: 3 })` in the current language. */
export function useT() {
  const { lang } = useContext(LangContext);
  return (key: string, params?: Record<string, string | number>) => translate(lang, key, params);
}

export function useLang() {
  return useContext(LangContext);
}

/** Every key present in both languages (the test of the catalogues checks this). */
export function catalogueKeys(): { nl: string[]; en: string[] } {
  return { nl: Object.keys(catalogues.nl).sort(), en: Object.keys(catalogues.en).sort() };
}

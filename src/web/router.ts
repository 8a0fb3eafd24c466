/** A small history router: pages are plain paths; the invite token rides in the fragment. */
import { useEffect, useState } from 'preact/hooks';
import { addressLang, withLang } from './i18n/index.js';

const listeners = new Set<() => void>();

/** `path` with the current address's `?lang=`, unless it names a language of its own. */
export function keepLang(path: string): string {
  const lang = addressLang();
  return lang === null || new URL(path, location.href).searchParams.has('lang') ? path : withLang(path, lang);
}

/** Goes to `path` in the page; a language chosen in the address (`?lang=`) comes along. */
export function navigate(path: string): void {
  history.pushState(null, '', keepLang(path));
  for (const listener of listeners) listener();
}

export function usePath(): string {
  const [path, setPath] = useState(location.pathname);
  useEffect(() => {
    const update = () => setPath(location.pathname);
    listeners.add(update);
    addEventListener('popstate', update);
    return () => {
      listeners.delete(update);
      removeEventListener('popstate', update);
    };
  }, []);
  return path;
}

/** Matches `/c/:slug` style patterns; returns the parameters or null. */
export function match(pattern: string, path: string): Record<string, string> | null {
  const names: string[] = [];
  const regex = new RegExp(`^${pattern.replace(/:(\w+)/g, (_, name: string) => (names.push(name), '([^/]+)'))}/?$`);
  const found = regex.exec(path);
  if (!found) return null;
  return Object.fromEntries(names.map((name, i) => [name, decodeURIComponent(found[i + 1] ?? '')]));
}

/** A link that routes in the page instead of reloading it. */
export function onLinkClick(event: MouseEvent, path: string): void {
  if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey) return;
  event.preventDefault();
  navigate(path);
}

/** Small building blocks every page uses: links, busy indication, errors, headings. */
import type { ComponentChildren } from 'preact';
import { keepLang, onLinkClick } from '../router.js';
import { useT } from '../i18n/index.js';
import { FlowError } from '../crypto.js';

export function Link(props: { href: string; children: ComponentChildren; class?: string }) {
  return (
    <a href={keepLang(props.href)} class={props.class} onClick={(event) => onLinkClick(event, props.href)}>
      {props.children}
    </a>
  );
}

/** A visible, announced progress indication for long flows (Argon2id, proof of work). */
export function Busy(props: { stage?: string | null }) {
  const t = useT();
  return (
    <div class="busy" role="status" aria-live="polite">
      <span class="spinner" aria-hidden="true" />
      <span>{props.stage ? t(`progress.${props.stage}`) : t('busy')}</span>
    </div>
  );
}

/** An error for people: the API's message when there is one. */
export function ErrorText(props: { error: unknown }) {
  const t = useT();
  if (!props.error) return null;
  const error = props.error as Error;
  const text = error instanceof FlowError || error instanceof Error ? error.message : String(error);
  return (
    <p class="error" role="alert">
      {t('error.generic', { message: text })}
    </p>
  );
}

export function Page(props: { title: string; children: ComponentChildren }) {
  return (
    <section class="page" aria-labelledby="page-title">
      <h1 id="page-title">{props.title}</h1>
      {props.children}
    </section>
  );
}

/** Formats an ISO time for people in their language, in their time zone. */
export function formatTime(iso: string | null | undefined, lang: string): string {
  if (!iso) return '—';
  return new Date(iso).toLocaleString(lang === 'nl' ? 'nl-NL' : 'en-GB', { dateStyle: 'medium', timeStyle: 'short' });
}

export function formatDate(iso: string | null | undefined, lang: string): string {
  if (!iso) return '—';
  return new Date(iso).toLocaleDateString(lang === 'nl' ? 'nl-NL' : 'en-GB', { dateStyle: 'long' });
}

/** Small building blocks every page uses: links, busy indication, errors, headings. */
import type { ComponentChildren } from 'preact';
import { keepLang, onLinkClick } from '../router.js';
import { useT } from '../i18n/index.js';
import { useEffect, useState } from 'preact/hooks';
import { FlowError, listenToWork } from '../crypto.js';

export function Link(props: { href: string; children: ComponentChildren; class?: string }) {
  return (
    <a href={keepLang(props.href)} class={props.class} onClick={(event) => onLinkClick(event, props.href)}>
      {props.children}
    </a>
  );
}

/** True in browsers that run no WebAssembly: the crypto worker then uses its pure-JavaScript engine. */
export const withoutWebAssembly = (): boolean => typeof WebAssembly === 'undefined';

/**
 * A visible, announced progress indication for long flows (Argon2id, proof of work), with a
 * bar while the worker reports how far its step is; without WebAssembly it also says why the
 * step is slow.
 */
export function Busy(props: { stage?: string | null }) {
  const t = useT();
  const [work, setWork] = useState<{ stage: string; fraction: number } | null>(null);
  useEffect(() => listenToWork((stage, fraction) => setWork({ stage, fraction })), []);
  const label = props.stage ? t(`progress.${props.stage}`) : t('busy');
  const slowStep = props.stage === 'deriving' || props.stage === 'pow';
  return (
    <div class="busy" role="status" aria-live="polite">
      <span class="spinner" aria-hidden="true" />
      <span>{label}</span>
      {work !== null && work.stage === props.stage ? <progress max={1} value={work.fraction} aria-label={label} /> : null}
      {slowStep && withoutWebAssembly() ? <p class="hint">{t('progress.slow')}</p> : null}
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

/** Formats an ISO time for people in their language, in their time zone: the date as formatDate writes it, and the time. */
export function formatTime(iso: string | null | undefined, lang: string): string {
  if (!iso) return '—';
  return new Date(iso).toLocaleString(lang === 'nl' ? 'nl-NL' : 'en-GB', { dateStyle: 'long', timeStyle: 'short' });
}

export function formatDate(iso: string | null | undefined, lang: string): string {
  if (!iso) return '—';
  return new Date(iso).toLocaleDateString(lang === 'nl' ? 'nl-NL' : 'en-GB', { dateStyle: 'long' });
}

/**
 * Pieces the reporter pages share: a page whose heading takes the focus at every step, errors
 * in plain words, the channel lookup, and the guard that keeps a fresh code from being lost.
 */
import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { call, FlowError } from '../../crypto.js';
import { useT } from '../../i18n/index.js';
import type { ChannelInfo } from '../../../protocol/wire.js';

/**
 * A page section like `Page`, whose heading takes the focus whenever `step` changes (and when
 * the page first shows), so that a screen reader starts reading at the new step.
 */
export function StepPage(props: { title: string; step: string; children: ComponentChildren }) {
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    heading.current?.focus();
  }, [props.step]);
  return (
    <section class="page reporter" aria-labelledby="page-title">
      <h1 id="page-title" tabIndex={-1} ref={heading}>
        {props.title}
      </h1>
      {props.children}
    </section>
  );
}

/** True when the worker could not reach the server at all. */
function isNetworkFailure(error: FlowError): boolean {
  return error.status === undefined && /fetch|network|load failed/i.test(error.message);
}

/** The key of a plain-words explanation of a failure, or null when there is none. */
export function errorKey(error: unknown): string | null {
  if (!(error instanceof FlowError)) return null;
  if (isNetworkFailure(error)) return 'reporter.error.network';
  switch (error.code) {
    case 'unknown_channel':
      return 'reporter.error.unknownChannel';
    case 'mailbox_login_failed':
      return 'reporter.error.loginFailed';
    case 'not_signed_in':
    case 'session_closed':
      return 'reporter.error.sessionEnded';
    case 'too_many_messages':
      return 'reporter.error.tooManyMessages';
    case 'relay_decided':
      return 'reporter.error.relayDecided';
    case 'pow_required':
    case 'pow_invalid':
    case 'pow_expired':
    case 'bad_difficulty':
      return 'reporter.error.pow';
    case 'no_advisers':
    case 'unknown_adviser':
      return 'reporter.error.advisers';
    case 'unpinned_advisers':
      return 'reporter.error.unpinned';
    case 'code_in_text':
      return 'reporter.error.codeInText';
    default:
      break;
  }
  if (error.status === 429) return 'reporter.error.slowDown';
  if (error.status === 413) return 'reporter.error.tooLarge';
  if (error.status !== undefined && error.status >= 500) return 'reporter.error.unavailable';
  return null;
}

/** True when a failure means the mailbox session is gone and the code must be entered again. */
export function isSessionEnded(error: unknown): boolean {
  return error instanceof FlowError && (error.code === 'not_signed_in' || error.code === 'session_closed');
}

/** An error in plain words, announced (role=alert). */
export function ReporterError(props: { error: unknown; id?: string }) {
  const t = useT();
  if (!props.error) return null;
  const key = errorKey(props.error);
  const text = key ? t(key) : t('reporter.error.other', { message: props.error instanceof Error ? props.error.message : String(props.error) });
  return (
    <p class="error" role="alert" id={props.id}>
      {text}
    </p>
  );
}

export type ChannelState = { state: 'loading' } | { state: 'ready'; channel: ChannelInfo } | { state: 'failed'; error: unknown };

/**
 * Fingerprints the organisation published in its channel link (`#pins=FP,FP`): the fragment
 * never reaches the server, so the server cannot change which advisers' keys a reporter trusts.
 */
export function linkPins(): string[] | undefined {
  const match = /(?:^#|&)pins=([^&]*)/.exec(location.hash);
  return match ? decodeURIComponent(match[1]!).split(',').filter(Boolean) : undefined;
}

/** The channel's public information (advisers, consent, proof of work), fetched by the worker. */
export function useChannel(slug: string | undefined): ChannelState {
  const [result, setResult] = useState<ChannelState>({ state: 'loading' });
  // A pinned link opened over another keeps the page: follow the fragment.
  const [pins, setPins] = useState(() => linkPins()?.join(','));
  useEffect(() => {
    const follow = () => setPins(linkPins()?.join(','));
    addEventListener('hashchange', follow);
    return () => removeEventListener('hashchange', follow);
  }, []);
  useEffect(() => {
    let live = true;
    setResult({ state: 'loading' });
    if (!slug) {
      setResult({ state: 'failed', error: new FlowError('unknown_channel', 404, 'no channel') });
      return;
    }
    call<ChannelInfo>('channel', [slug, pins?.split(',')]).then(
      (channel) => live && setResult({ state: 'ready', channel }),
      (error: unknown) => live && setResult({ state: 'failed', error }),
    );
    return () => {
      live = false;
    };
  }, [slug, pins]);
  return result;
}

/** The history entry the leave guard adds, so that Back stays on the page. */
const GUARD_STATE = { confidantCodeGuard: true };

/**
 * While `active`, leaving the page is stopped until the reporter says the code is saved:
 * closing or reloading the tab asks first (beforeunload), links inside the app do nothing,
 * and Back lands on the same page. Each stopped attempt calls `onBlocked`. The quick-exit
 * button is never stopped: its click lifts the beforeunload prompt before it leaves.
 */
export function useLeaveGuard(active: boolean, onBlocked: () => void): void {
  const blocked = useRef(onBlocked);
  blocked.current = onBlocked;
  useEffect(() => {
    if (!active) return;
    const beforeUnload = (event: BeforeUnloadEvent) => {
      event.preventDefault();
      // Older browsers show the prompt only when returnValue is set.
      event.returnValue = '';
    };
    const click = (event: MouseEvent) => {
      const target = event.target instanceof Element ? event.target : null;
      if (target?.closest('.quick-exit')) {
        removeEventListener('beforeunload', beforeUnload);
        return;
      }
      const link = target?.closest('a[href]');
      if (link && !link.hasAttribute('download')) {
        event.preventDefault();
        event.stopPropagation();
        blocked.current();
      }
    };
    const popstate = () => {
      history.pushState(GUARD_STATE, '', `${location.pathname}${location.search}`);
      blocked.current();
    };
    history.pushState(GUARD_STATE, '', `${location.pathname}${location.search}`);
    addEventListener('beforeunload', beforeUnload);
    document.addEventListener('click', click, true);
    addEventListener('popstate', popstate);
    return () => {
      removeEventListener('beforeunload', beforeUnload);
      document.removeEventListener('click', click, true);
      removeEventListener('popstate', popstate);
      // Take the extra entry away again when it is still the current one.
      const state = history.state as typeof GUARD_STATE | null;
      if (state?.confidantCodeGuard) history.back();
    };
  }, [active]);
}


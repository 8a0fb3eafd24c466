/**
 * The channel's landing page: what happens to a report, who can read it, that no name or
 * e-mail is asked, and how to report safely.
 */
import { Busy, Link } from '../../components/ui.js';
import { useT } from '../../i18n/index.js';
import { ReporterError, StepPage, useChannel } from './common.js';

export function ReporterLandingPage(props: { params: Record<string, string> }) {
  const t = useT();
  const slug = props.params.slug ?? '';
  const channel = useChannel(slug);

  if (channel.state === 'loading') {
    return (
      <StepPage title={t('reporter.landing.title')} step="loading">
        <Busy />
      </StepPage>
    );
  }
  if (channel.state === 'failed') {
    return (
      <StepPage title={t('reporter.landing.title')} step="failed">
        <ReporterError error={channel.error} />
      </StepPage>
    );
  }
  const { name, advisers, consentRequired } = channel.channel;
  return (
    <StepPage title={t('reporter.landing.title')} step="ready">
      <p class="lead">{t('reporter.landing.channel', { name })}</p>
      <p>{t('reporter.landing.intro')}</p>

      <h2>{t('reporter.landing.what.title')}</h2>
      <ol>
        <li>{t('reporter.landing.what.encrypted')}</li>
        <li>{t('reporter.landing.what.code')}</li>
        <li>{t('reporter.landing.what.deadlines')}</li>
        <li>{consentRequired ? t('reporter.landing.what.relayConsent') : t('reporter.landing.what.relayNoConsent')}</li>
      </ol>

      <h2>{t('reporter.landing.who.title')}</h2>
      {advisers.length > 0 ? (
        <>
          <p>{t('reporter.landing.who.advisers', { count: advisers.length })}</p>
          <ul>
            {advisers.map((adviser) => (
              <li key={adviser.keyId}>{adviser.name}</li>
            ))}
          </ul>
          <p>{t('reporter.landing.who.nobodyElse')}</p>
        </>
      ) : (
        <>
          <p class="error" role="alert">
            {t('reporter.landing.who.none')}
          </p>
          <p>{t('reporter.landing.who.noneElsewhere')}</p>
          <p class="hint">{t('reporter.landing.who.noneOperator', { slug })}</p>
        </>
      )}

      <h2>{t('reporter.landing.anon.title')}</h2>
      <p>{t('reporter.landing.anon.noName')}</p>
      <p>{t('reporter.landing.anon.content')}</p>
      <p>{t('reporter.landing.anon.confidential')}</p>

      <h2>{t('reporter.landing.external.title')}</h2>
      <p>{t('reporter.landing.external.body')}</p>

      <div class="panel warning">
        <h2>{t('reporter.landing.safety.title')}</h2>
        <ul>
          <li>{t('reporter.landing.safety.device')}</li>
          <li>{t('reporter.landing.safety.tor')}</li>
          <li>{t('reporter.landing.safety.quickExit', { button: t('quickExit') })}</li>
          <li>{t('reporter.landing.safety.traces')}</li>
        </ul>
      </div>

      <div class="actions">
        {advisers.length > 0 ? (
          <Link href={`/c/${encodeURIComponent(slug)}/report`} class="button">
            {t('reporter.landing.start')}
          </Link>
        ) : null}
        <Link href="/mailbox" class="button secondary">
          {t('reporter.landing.haveCode')}
        </Link>
      </div>
    </StepPage>
  );
}

import { Page } from '../components/ui.js';
type Params = { params: Record<string, string> };
export function ReporterLandingPage(_: Params) { return <Page title="Melden">…</Page>; }
export function ReportFormPage(_: Params) { return <Page title="Melding">…</Page>; }
export function MailboxPage(_: Params) { return <Page title="Mailbox">…</Page>; }

import { Page } from '../components/ui.js';
type Params = { params: Record<string, string> };
export function InvitePage(_: Params) { return <Page title="Invite">…</Page>; }
export function LoginPage(_: Params) { return <Page title="Login">…</Page>; }
export function InboxPage(_: Params) { return <Page title="Inbox">…</Page>; }
export function CasePage(_: Params) { return <Page title="Case">…</Page>; }

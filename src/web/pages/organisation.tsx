import { Page } from '../components/ui.js';
type Params = { params: Record<string, string> };
export function RelayInboxPage(_: Params) { return <Page title="Relays">…</Page>; }
export function RelayPage(_: Params) { return <Page title="Relay">…</Page>; }

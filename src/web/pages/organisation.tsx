/**
 * The organisation recipient's pages (protocol-v1 §5): the relays the adviser sent to the
 * organisation and their threads. The organisation never sees a case, a report or the mailbox.
 */
export { RelayInboxPage } from './organisation/inbox.js';
export { RelayPage } from './organisation/relay.js';

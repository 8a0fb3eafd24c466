import type { Database } from '../db/connection.js';
import { organisations } from '../db/schema.js';
import { claimFlag } from './settings.js';
import { createAdministration, inviteLink } from './administration.js';

export interface FirstStart {
  channelUrl: string;
  setupLink: string;
  /** The first operator's one-time link: the console at /operator sets up everything else. */
  operatorLink: string;
}

/**
 * On an empty database: a demo organisation and channel, and one-time invites for the first
 * adviser and the first operator, in one transaction. Returns null on every later start, so the
 * links are printed once.
 */
export async function firstStart(db: Database, publicUrl: string, powDifficulty: number): Promise<FirstStart | null> {
  return db.transaction(async (tx) => {
    if (!(await claimFlag(tx, 'first_start_done'))) return null;
    const existing = await tx.select({ id: organisations.id }).from(organisations).limit(1);
    // An operator who created organisations with the CLI before the first start needs no demo.
    if (existing.length > 0) return null;
    const admin = createAdministration(tx, { powDifficulty, actor: 'system' });
    await admin.createOrganisation({ slug: 'demo', name: 'Demo-organisatie' });
    const channel = await admin.createChannel({ slug: 'demo', name: 'Meldpunt integriteit (demo)', organisation: 'demo' });
    const invite = await admin.createInvite({ role: 'adviser', channel: channel.slug });
    const operator = await admin.createInvite({ role: 'operator' });
    return { channelUrl: `${publicUrl}/c/${channel.slug}`, setupLink: inviteLink(publicUrl, invite), operatorLink: inviteLink(publicUrl, operator) };
  });
}

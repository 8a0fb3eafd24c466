/** The error codes the console explains in the reader's language (`operator.error.<code>`); others show the server's message. */
export const OPERATOR_EXPLAINED: ReadonlySet<string> = new Set([
  'organisation_exists', 'channel_exists', 'invalid_slug', 'invalid_name', 'unknown_channel', 'unknown_organisation', 'unknown_invite',
  'invite_used', 'invite_expired', 'own_account', 'removal_changed', 'not_an_adviser', 'unknown_account', 'invalid_locations',
  'invalid_location_id', 'invalid_location_name', 'invalid_retention_months', 'invalid_pow_difficulty',
]);

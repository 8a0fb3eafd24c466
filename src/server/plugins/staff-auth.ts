/**
 * Staff authorisation for routes: `staffOnly(roles)` gives a preHandler that signs the request
 * in with its bearer token (401 otherwise) and checks the role (403 otherwise). Which objects
 * an account may touch is the services' business: they filter by account.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { forbidden } from '../errors.js';
import type { Role, StaffPrincipal } from '../services/accounts.js';
import { bearerToken } from './bearer.js';

declare module 'fastify' {
  interface FastifyRequest {
    staff: StaffPrincipal | null;
  }
}

/** The refusal that tells a signed-in account its role may not use a route. */
function refusalFor(roles: readonly Role[]) {
  const message = 'This account may not do this.';
  // The one guard of several roles that refuses anyone is guards.staff: advisers and recipients.
  if (roles.length > 1) return forbidden('advisers_or_recipients_only', message);
  if (roles[0] === 'adviser') return forbidden('advisers_only', message);
  if (roles[0] === 'recipient') return forbidden('recipients_only', message);
  return forbidden('operators_only', message);
}

export function staffGuards(app: FastifyInstance) {
  const { accounts } = app.services;
  if (!app.hasRequestDecorator('staff')) app.decorateRequest('staff', null);

  const guard =
    (roles: readonly Role[], options: { allowWithoutTotp?: boolean } = {}) =>
    async (request: FastifyRequest) => {
      const principal = await accounts.authenticate(bearerToken(request));
      if (!roles.includes(principal.role)) throw refusalFor(roles);
      if (principal.totpEnrolmentRequired && !options.allowWithoutTotp) {
        throw forbidden('totp_enrolment_required', 'Turn on two-step verification (TOTP) first: this installation requires it for advisers and operators.');
      }
      request.staff = principal;
    };

  return {
    /** Any staff account, even one that still has to enrol TOTP: for logout and enrolment itself. */
    anyStaff: guard(['adviser', 'recipient', 'operator'], { allowWithoutTotp: true }),
    /** Advisers and organisation recipients (relays), with the TOTP rule applied to advisers. */
    staff: guard(['adviser', 'recipient']),
    /** Every role, with the TOTP rule: notification settings. */
    notified: guard(['adviser', 'recipient', 'operator']),
    adviser: guard(['adviser']),
    recipient: guard(['recipient']),
    /** The installation's operators: organisations, channels, invites and accounts; never a case. */
    operator: guard(['operator']),
    /** The principal of a request that passed a guard. */
    principal: (request: FastifyRequest): StaffPrincipal => request.staff as StaffPrincipal,
  };
}

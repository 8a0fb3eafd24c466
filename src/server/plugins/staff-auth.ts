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

export function staffGuards(app: FastifyInstance) {
  const { accounts } = app.services;
  if (!app.hasRequestDecorator('staff')) app.decorateRequest('staff', null);

  const guard =
    (roles: readonly Role[], options: { allowWithoutTotp?: boolean } = {}) =>
    async (request: FastifyRequest) => {
      const principal = await accounts.authenticate(bearerToken(request));
      if (!roles.includes(principal.role)) {
        throw forbidden(roles.length === 1 && roles[0] === 'adviser' ? 'advisers_only' : 'recipients_only', 'This account may not do this.');
      }
      if (principal.totpEnrolmentRequired && !options.allowWithoutTotp) {
        throw forbidden('totp_enrolment_required', 'Turn on two-step verification (TOTP) first: this installation requires it for advisers.');
      }
      request.staff = principal;
    };

  return {
    /** Any staff account, even one that still has to enrol TOTP: for logout and enrolment itself. */
    anyStaff: guard(['adviser', 'recipient'], { allowWithoutTotp: true }),
    /** Any staff account, with the TOTP rule applied to advisers. */
    staff: guard(['adviser', 'recipient']),
    adviser: guard(['adviser']),
    recipient: guard(['recipient']),
    /** The principal of a request that passed a guard. */
    principal: (request: FastifyRequest): StaffPrincipal => request.staff as StaffPrincipal,
  };
}

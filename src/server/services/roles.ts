/** Advisers serve channels, recipients an organisation; an operator runs the installation and never sees a case. */
export type Role = 'adviser' | 'recipient' | 'operator';

/** The roles that must enrol TOTP when the installation requires it: those that decide who reads what. */
export const totpRoles: readonly Role[] = ['adviser', 'operator'];

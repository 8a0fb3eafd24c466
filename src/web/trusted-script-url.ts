/**
 * A worker's script URL through this realm's one Trusted Types policy ('confidant', the only
 * one the CSP allows), which admits exactly `url`: the page loads the crypto worker with it, the
 * crypto worker its helper. Where Trusted Types are missing the URL is used as it is.
 */
interface TrustedTypePolicyFactoryLike {
  createPolicy(name: string, rules: { createScriptURL(input: string): string }): { createScriptURL(input: string): unknown };
}

export function trustedScriptUrl(url: string): string {
  const factory = (globalThis as { trustedTypes?: TrustedTypePolicyFactoryLike }).trustedTypes;
  if (!factory) return url;
  const policy = factory.createPolicy('confidant', {
    createScriptURL: (input) => {
      if (input !== url) throw new TypeError(`only ${url} may be loaded`);
      return input;
    },
  });
  // A TrustedScriptURL is accepted wherever a URL string is.
  return policy.createScriptURL(url) as string;
}

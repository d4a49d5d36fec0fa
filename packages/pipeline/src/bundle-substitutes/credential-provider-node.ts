/**
 * What a function bundle gets for `@aws-sdk/credential-provider-node` (see `bundleSubstitutes`):
 * the environment alone. Lambda hands the execution role's credentials to a function as
 * AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN, so the SDK's default chain
 * always ends at its first link there, and the rest of it (SSO, STS, web identity, ini
 * files, IMDS, container endpoints) is about 130 KB of a bundle that never runs. The local
 * stack sets the same variables in every sandbox. Code that is not bundled (the CLI, tests)
 * keeps the SDK's whole chain.
 */
import { fromEnv } from '@aws-sdk/credential-provider-env';

/**
 * The SDK's default credential provider, as bundles resolve it: environment credentials.
 *
 * @example
 * const credentials = await defaultProvider()();
 */
export const defaultProvider = (init: Parameters<typeof fromEnv>[0] = {}) => fromEnv(init);

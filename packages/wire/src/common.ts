import { Type, type Static } from '@sinclair/typebox';

/** `VALID`, `INVALID` (the provider refused a refresh: the user must connect again) or `PENDING`. */
export const CredentialStatus = Type.Union([Type.Literal('VALID'), Type.Literal('INVALID'), Type.Literal('PENDING')]);
export type CredentialStatus = Static<typeof CredentialStatus>;

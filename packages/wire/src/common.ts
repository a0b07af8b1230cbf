import { Type, type Static } from '@sinclair/typebox';

/** An ISO 8601 timestamp, as every `date…` field carries it. */
export const Timestamp = Type.String({ description: 'ISO 8601 date-time' });

/** Any JSON object: provider data, metadata, settings. */
export const JsonObject = Type.Record(Type.String(), Type.Unknown());
export type JsonObject = Static<typeof JsonObject>;

/** `VALID`, `INVALID` (the provider refused a refresh: the user must connect again) or `PENDING`. */
export const CredentialStatus = Type.Union([Type.Literal('VALID'), Type.Literal('INVALID'), Type.Literal('PENDING')]);
export type CredentialStatus = Static<typeof CredentialStatus>;

/** The one error shape: `{ message, code }`, and `field` when one input is at fault. */
export const ErrorResponse = Type.Object(
  { message: Type.String(), code: Type.String(), field: Type.Optional(Type.String()) },
  { additionalProperties: true },
);
export type ErrorResponse = Static<typeof ErrorResponse>;

export const InputFieldType = Type.Union([Type.Literal('text'), Type.Literal('password'), Type.Literal('url'), Type.Literal('select')]);
export type InputFieldType = Static<typeof InputFieldType>;

export const SelectOption = Type.Object({ value: Type.String(), label: Type.String() });

/** A field an install stage asks for (API key, pre-OAuth input, post-install option), as a browser may see it. */
export const InstallField = Type.Object({
  id: Type.String(),
  label: Type.String(),
  type: InputFieldType,
  required: Type.Boolean(),
  help: Type.Optional(Type.String()),
  placeholder: Type.Optional(Type.String()),
  /** A regular expression source the whole value must match (compiled with the `u` flag). */
  pattern: Type.Optional(Type.String()),
  options: Type.Optional(Type.Array(SelectOption)),
});
export type InstallField = Static<typeof InstallField>;

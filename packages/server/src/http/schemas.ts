// Brings @fastify/swagger's schema fields (tags, summary) into route schemas' types.
import type {} from '@fastify/swagger';
import { Type } from '@sinclair/typebox';

/** The one error shape. */
export const ErrorResponse = Type.Object(
  { message: Type.String(), code: Type.String(), field: Type.Optional(Type.String()) },
  { additionalProperties: true, $id: undefined },
);

export const ProjectParams = Type.Object({ projectId: Type.String({ minLength: 1, maxLength: 100 }) });

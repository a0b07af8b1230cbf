// Brings @fastify/swagger's schema fields (tags, summary) into route schemas' types.
import type {} from '@fastify/swagger';
import { Type } from '@sinclair/typebox';

/** The one error shape, from the wire package. */
export { ErrorResponse } from '@switchboard/wire';

export const ProjectParams = Type.Object({ projectId: Type.String({ minLength: 1, maxLength: 100 }) });

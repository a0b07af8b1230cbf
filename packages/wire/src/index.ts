/**
 * Switchboard's wire shapes, in one place. Each is a TypeBox schema (a JSON Schema value the server validates and
 * serializes with, and describes its API with) and a type of the same name derived from it, which the Node client
 * and the browser SDK import as types only: nothing here reaches the SDK's bundle.
 */
export * from './common.js';
export * from './credentials.js';
export * from './user-state.js';
export * from './integrations.js';
export * from './install.js';
export * from './management.js';
export * from './workflows.js';
export * from './actions.js';
export * from './webhooks.js';
export * from './error-codes.js';

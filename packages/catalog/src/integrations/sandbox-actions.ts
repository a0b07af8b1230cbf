import type { IntegrationAction } from '../define-action.js';

const contactId = { type: 'string', minLength: 1, maxLength: 200, description: 'The contact id, e.g. ct_…' };
const name = { type: 'string', minLength: 1, maxLength: 200, description: "The contact's name" };
const email = { type: 'string', minLength: 3, maxLength: 320, pattern: '^[^\\s@]+@[^\\s@]+$', description: "The contact's email address" };

/** The sandbox contacts API (packages/server/src/sandbox/api.ts), shared by every sandbox integration. */
export const sandboxActions: IntegrationAction[] = [
  {
    name: 'SANDBOX_LIST_CONTACTS',
    title: 'List contacts',
    description: "Lists every contact of the user's sandbox account.",
    method: 'GET',
    path: '/contacts',
    inputSchema: { type: 'object', properties: {}, additionalProperties: false },
    output: 'data',
  },
  {
    name: 'SANDBOX_CREATE_CONTACT',
    title: 'Create a contact',
    description: 'Creates a contact and answers it with its id, createdAt and updatedAt.',
    method: 'POST',
    path: '/contacts',
    inputSchema: { type: 'object', properties: { name, email }, required: ['name', 'email'], additionalProperties: false },
    body: { name: '{{name}}', email: '{{email}}' },
  },
  {
    name: 'SANDBOX_GET_CONTACT',
    title: 'Get a contact',
    description: 'Answers one contact by its id.',
    method: 'GET',
    path: '/contacts/{{contactId}}',
    inputSchema: { type: 'object', properties: { contactId }, required: ['contactId'], additionalProperties: false },
  },
  {
    name: 'SANDBOX_UPDATE_CONTACT',
    title: 'Update a contact',
    description: "Changes a contact's name or email, and answers the contact.",
    method: 'PATCH',
    path: '/contacts/{{contactId}}',
    inputSchema: { type: 'object', properties: { contactId, name, email }, required: ['contactId'], additionalProperties: false, minProperties: 2 },
    body: { name: '{{name}}', email: '{{email}}' },
  },
  {
    name: 'SANDBOX_DELETE_CONTACT',
    title: 'Delete a contact',
    description: 'Deletes a contact by its id.',
    method: 'DELETE',
    path: '/contacts/{{contactId}}',
    inputSchema: { type: 'object', properties: { contactId }, required: ['contactId'], additionalProperties: false },
  },
];

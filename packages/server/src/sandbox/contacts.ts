import { randomUUID } from 'node:crypto';

export interface Contact {
  id: string;
  name: string;
  email: string;
  createdAt: string;
  updatedAt: string;
}

export type ContactInput = Pick<Contact, 'name' | 'email'>;

/** Contacts per sandbox account, in memory: each account sees only its own, like a real multi-tenant API. */
export class ContactStore {
  private readonly byAccount = new Map<string, Map<string, Contact>>();

  private book(accountId: string): Map<string, Contact> {
    let book = this.byAccount.get(accountId);
    if (!book) this.byAccount.set(accountId, (book = new Map()));
    return book;
  }

  list(accountId: string): Contact[] {
    return [...this.book(accountId).values()];
  }

  get(accountId: string, id: string): Contact | undefined {
    return this.book(accountId).get(id);
  }

  create(accountId: string, input: ContactInput): Contact {
    const now = new Date().toISOString();
    const contact: Contact = { id: `ct_${randomUUID()}`, ...input, createdAt: now, updatedAt: now };
    this.book(accountId).set(contact.id, contact);
    return contact;
  }

  update(accountId: string, id: string, changes: Partial<ContactInput>): Contact | undefined {
    const existing = this.get(accountId, id);
    if (!existing) return undefined;
    const updated: Contact = { ...existing, ...changes, updatedAt: new Date().toISOString() };
    this.book(accountId).set(id, updated);
    return updated;
  }

  remove(accountId: string, id: string): boolean {
    return this.book(accountId).delete(id);
  }
}

/** Validates a create (all fields) or a patch (some fields); answers the problem, or the clean input. */
export function parseContactInput(
  body: unknown,
  mode: 'create' | 'patch',
): { ok: true; value: Partial<ContactInput> } | { ok: false; message: string } {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return { ok: false, message: 'Send a JSON object with name and email' };
  }
  const fields = body as Record<string, unknown>;
  const value: Partial<ContactInput> = {};
  for (const field of ['name', 'email'] as const) {
    const raw = fields[field];
    if (raw === undefined && mode === 'patch') continue;
    if (typeof raw !== 'string' || raw.trim() === '') {
      return { ok: false, message: `${field} is required and must be a non-empty string` };
    }
    value[field] = raw.trim();
  }
  if (value.email !== undefined && !/^[^\s@]+@[^\s@]+$/.test(value.email)) {
    return { ok: false, message: 'email must look like an email address' };
  }
  if (mode === 'patch' && Object.keys(value).length === 0) {
    return { ok: false, message: 'Send at least one of name, email' };
  }
  return { ok: true, value };
}

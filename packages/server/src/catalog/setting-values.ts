import type { UserSetting } from '@switchboard/wire';
import { apiError } from '../errors.js';
import { isPlainObject } from '../json.js';

const MAX_TEXT_LENGTH = 10_000;

const refuse = (name: string, why: string) => apiError('INVALID_SETTING', `${name} ${why}`, { field: name });

/**
 * One saved value of a user setting the project declared (`portal.userSettings`), checked against its type: text
 * kinds are strings, `number` a finite number, `boolean` a boolean, `enum` one of its options, `fieldMapper` an
 * object mapping the app's `fields` to the provider's `options`. `name` is how the error names it.
 */
export function checkUserSettingValue(setting: UserSetting, value: unknown, name: string): void {
  switch (setting.type) {
    case 'number':
      if (typeof value !== 'number' || !Number.isFinite(value)) throw refuse(name, 'must be a number');
      return;
    case 'boolean':
      if (typeof value !== 'boolean') throw refuse(name, 'must be true or false');
      return;
    case 'fieldMapper':
      return checkFieldMapping(setting, value, name);
    default:
      if (typeof value !== 'string') throw refuse(name, 'must be a string');
      if (value.length > MAX_TEXT_LENGTH) throw refuse(name, 'is too long');
      if (setting.type === 'enum' && setting.options && !setting.options.some((option) => option.value === value)) {
        throw refuse(name, `must be one of ${setting.options.map((option) => option.value).join(', ')}`);
      }
  }
}

/** `{ <app field>: <provider field> }`: only declared app fields, each mapped to one of the provider's fields. */
function checkFieldMapping(setting: UserSetting, value: unknown, name: string): void {
  if (!isPlainObject(value)) throw refuse(name, 'must be an object mapping fields of the app to fields of the provider');
  for (const [appField, providerField] of Object.entries(value)) {
    if (setting.fields && !setting.fields.some((field) => field.value === appField)) throw refuse(`${name}.${appField}`, 'is not a field of the app to map');
    if (typeof providerField !== 'string') throw refuse(`${name}.${appField}`, 'must be a string');
    if (setting.options && providerField !== '' && !setting.options.some((option) => option.value === providerField)) {
      throw refuse(`${name}.${appField}`, `must be one of ${setting.options.map((option) => option.value).join(', ')}`);
    }
  }
}

/** Each declared user setting present in `sharedSettings`; the app's own keys are left alone. */
export function checkUserSettings(settings: readonly UserSetting[], sharedSettings: Record<string, unknown> | undefined, prefix: string): void {
  for (const setting of settings) {
    const value = sharedSettings?.[setting.id];
    if (value === undefined) continue;
    checkUserSettingValue(setting, value, `${prefix}.${setting.id}`);
  }
}

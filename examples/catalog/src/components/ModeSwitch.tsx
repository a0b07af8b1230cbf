import type { ConnectMode, Theme } from '../connect-mode.js';

export interface ModeSwitchProps {
  mode: ConnectMode;
  theme: Theme;
  onMode(mode: ConnectMode): void;
  onTheme(theme: Theme): void;
}

const MODES: { value: ConnectMode; label: string; hint: string }[] = [
  { value: 'headless', label: 'Headless', hint: 'this app’s own forms' },
  { value: 'portal', label: 'Connect Portal', hint: 'the SDK’s connect()' },
];

/** Two radio groups: how Connect works, and the page's (and portal's) colours. Arrow keys move within each. */
export function ModeSwitch({ mode, theme, onMode, onTheme }: ModeSwitchProps) {
  return (
    <div className="mode-switch" data-testid="mode-switch">
      <fieldset className="segmented">
        <legend>Connect with</legend>
        {MODES.map((option) => (
          <label key={option.value} className={mode === option.value ? 'selected' : undefined}>
            <input type="radio" name="connect-mode" value={option.value} checked={mode === option.value} onChange={() => onMode(option.value)} />
            <span>{option.label}</span>
            <span className="visually-hidden">: {option.hint}</span>
          </label>
        ))}
      </fieldset>
      <fieldset className="segmented">
        <legend>Theme</legend>
        {(['light', 'dark'] as const).map((value) => (
          <label key={value} className={theme === value ? 'selected' : undefined}>
            <input type="radio" name="theme" value={value} checked={theme === value} onChange={() => onTheme(value)} />
            <span>{value === 'light' ? 'Light' : 'Dark'}</span>
          </label>
        ))}
      </fieldset>
    </div>
  );
}

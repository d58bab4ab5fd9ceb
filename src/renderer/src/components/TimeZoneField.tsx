import { useMemo } from 'react';
import { ComboBox, FieldError, Input, Label, ListBox, ListBoxItem, Popover, Text } from 'react-aria-components';

/** Every IANA zone the engine knows; an engine without supportedValuesOf offers the typed zone only. */
function zoneNames(): string[] {
  try {
    return Intl.supportedValuesOf('timeZone');
  } catch {
    return [];
  }
}

/** "america/new_york" and "new york" both find America/New_York. */
const normalize = (text: string) => text.toLowerCase().replace(/[_/]+/g, ' ').trim();
const matchesZone = (zone: string, typed: string) => normalize(zone).includes(normalize(typed));

/**
 * The plan's time zone: a searchable list of the IANA zones (React Aria's ComboBox: a listbox
 * popup with arrow keys, type-ahead filtering and Escape, read out as a combobox). A zone typed
 * that is not in the list is still accepted here; main decides whether it knows it.
 */
export function TimeZoneField({ value, onChange, error, hint }: { value: string; onChange(zone: string): void; error?: string; hint?: string }) {
  const zones = useMemo(() => zoneNames().map((zone) => ({ id: zone, name: zone })), []);
  // the same array while the text is the same: a new one rebuilds the list's options
  const shown = useMemo(() => zones.filter((z) => matchesZone(z.name, value)).slice(0, 200), [zones, value]);
  return (
    <ComboBox
      className={`field combo-field${error ? ' field-invalid' : ''}`}
      items={shown}
      inputValue={value}
      onInputChange={onChange}
      onSelectionChange={(key) => key !== null && onChange(String(key))}
      allowsCustomValue
      // the list opens on typing (filtered) or ArrowDown (all zones), not on focus: tabbing
      // through the form must not pop a list up (it hides the rest of the page from a screen reader)
      menuTrigger="input"
      isInvalid={Boolean(error)}
      // the list above is filtered already (underscores and slashes as spaces)
      defaultFilter={() => true}
    >
      <Label>Timezone</Label>
      <Input spellCheck={false} />
      {hint && (
        <Text slot="description" className="field-hint">
          {hint}
        </Text>
      )}
      <FieldError className="field-error">{error}</FieldError>
      <Popover className="combo-popover" placement="bottom start">
        <ListBox className="combo-list" renderEmptyState={() => <div className="combo-empty">No time zone matches</div>}>
          {(item: { id: string; name: string }) => (
            <ListBoxItem className="combo-option" id={item.id} textValue={item.name}>
              {item.name}
            </ListBoxItem>
          )}
        </ListBox>
      </Popover>
    </ComboBox>
  );
}

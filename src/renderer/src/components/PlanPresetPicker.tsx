import { useEffect, useState } from 'react';
import type { PlanPreset } from '../../../shared/ipc-contract';
import type { Retention } from '../../../shared/plan';
import { call } from '../lib/api';
import { toUiError, type UiError } from '../lib/errors';
import { describeRetention, describeSchedule } from '../lib/plan-form';
import { ErrorBanner } from './ErrorBanner';

/**
 * The first-run presets ('plans/presets'): choosing one opens the editor prefilled with its
 * schedule, retention and options; the user adds the sources and the destination.
 */
export function PlanPresetPicker({ onChoose, onBlank }: { onChoose(preset: PlanPreset): void; onBlank(): void }) {
  const [presets, setPresets] = useState<PlanPreset[] | null>(null);
  const [error, setError] = useState<UiError | null>(null);

  useEffect(() => {
    let current = true;
    call('plans/presets')
      .then((list) => current && setPresets(list))
      .catch((e: unknown) => current && setError(toUiError(e)));
    return () => {
      current = false;
    };
  }, []);

  return (
    <section className="card preset-picker" aria-labelledby="presets-title">
      <div>
        <h2 id="presets-title">No plans yet</h2>
        <p className="muted">
          A plan says what to back up (databases, folders), when, and how long to keep it. Start with a preset: you add the
          sources and the destination next.
        </p>
      </div>
      <ErrorBanner error={error} />
      {presets && (
        <ul className="preset-list" aria-label="Presets">
          {presets.map((preset) => (
            <li key={preset.id} className="preset" aria-label={preset.title}>
              <h3>{preset.title}</h3>
              <p>{preset.description}</p>
              <p className="muted small">
                {preset.plan.type ?? 'full'} · {preset.plan.schedule ? describeSchedule(preset.plan.schedule) : 'Daily at 02:00'}
                {preset.plan.timezone ? ` (${preset.plan.timezone})` : ''} ·{' '}
                {describeRetention((preset.plan.retention ?? {}) as Retention)}
              </p>
              <button type="button" className="button-primary" onClick={() => onChoose(preset)}>
                Use this preset
              </button>
            </li>
          ))}
        </ul>
      )}
      <p className="muted">
        Or{' '}
        <button type="button" className="link-button" onClick={onBlank}>
          start from an empty plan
        </button>
        .
      </p>
    </section>
  );
}

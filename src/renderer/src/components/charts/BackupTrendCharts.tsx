import type { ReactNode } from 'react';
import { Bar, BarChart, CartesianGrid, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import type { DayPoint } from '../../lib/dashboard-stats';
import { formatBytes, formatDuration } from '../../lib/format';

const CHART_HEIGHT = 200;
const MARGIN = { top: 8, right: 12, bottom: 0, left: 4 };

/*
 * Colours come from the stylesheet (.trend-chart rules), which beats SVG presentation attributes
 * and follows the dark theme. The tooltip is HTML that recharts styles inline (through the
 * CSSOM, which the CSP allows), so its colours are passed as variables here.
 */
const TOOLTIP_STYLE = {
  background: 'var(--surface)',
  border: '1px solid var(--border)',
  borderRadius: 6,
  color: 'var(--text)',
  fontSize: 12,
};
const TOOLTIP_ITEM_STYLE = { color: 'var(--text)' };
const TOOLTIP_LABEL_STYLE = { color: 'var(--text)', fontWeight: 600 };
const TOOLTIP_CURSOR = { fill: 'var(--surface-2)' };

/** About seven labels whatever the width: every label of 30 days would overlap. */
const TICK_INTERVAL = 4;

/**
 * The axes count in one unit picked from the largest value (MB, or minutes...), so that recharts
 * picks round ticks in that unit: 0, 8, 16, 24 MB rather than 0, 8.1, 16 MB.
 */
interface Unit {
  factor: number;
  label: string;
}
const BYTE_UNITS: Unit[] = [
  { factor: 1, label: 'B' },
  { factor: 1024, label: 'KB' },
  { factor: 1024 ** 2, label: 'MB' },
  { factor: 1024 ** 3, label: 'GB' },
  { factor: 1024 ** 4, label: 'TB' },
];
const TIME_UNITS: Unit[] = [
  { factor: 1000, label: 's' },
  { factor: 60_000, label: 'min' },
  { factor: 3_600_000, label: 'h' },
];

/** The largest unit the maximum reaches twice: 90 s stays in seconds (0, 30, 60, 90), not 1.5 min. */
function unitFor(units: Unit[], max: number): Unit {
  return units.reduce((best, unit) => (max >= 2 * unit.factor ? unit : best), units[0]);
}

function tick(unit: Unit): (value: number) => string {
  return (value) => `${Number.isInteger(value) ? value : value.toFixed(1)} ${unit.label}`;
}

interface ChartPoint extends DayPoint {
  size: number | null;
  duration: number | null;
}

function ChartFigure({ label, caption, children }: { label: string; caption: string; children: ReactNode }) {
  return (
    <figure className="card trend-chart" aria-label={label}>
      <figcaption>
        <h3>{label}</h3>
        <span className="muted small">{caption}</span>
      </figcaption>
      {children}
    </figure>
  );
}

/**
 * Average size and duration of successful backups per day over the stats window: bars for the
 * size, a line with a point per day for the duration. Days without a backup stay on the axis.
 */
export function BackupTrendCharts({ points }: { points: DayPoint[] }) {
  const days = points.filter((p) => p.runs > 0);
  const sized = days.filter((p) => p.avgSizeBytes !== null);
  const timed = days.filter((p) => p.avgDurationMs !== null);
  const overall = (values: number[]) => (values.length ? values.reduce((a, b) => a + b, 0) / values.length : null);
  const avgSize = overall(sized.map((p) => p.avgSizeBytes!));
  const avgDuration = overall(timed.map((p) => p.avgDurationMs!));
  const sizeUnit = unitFor(BYTE_UNITS, Math.max(0, ...sized.map((p) => p.avgSizeBytes!)));
  const timeUnit = unitFor(TIME_UNITS, Math.max(0, ...timed.map((p) => p.avgDurationMs!)));
  const data: ChartPoint[] = points.map((p) => ({
    ...p,
    size: p.avgSizeBytes === null ? null : p.avgSizeBytes / sizeUnit.factor,
    duration: p.avgDurationMs === null ? null : p.avgDurationMs / timeUnit.factor,
  }));
  // the tooltip shows the exact value of the day, not the axis unit
  const exact = (item: unknown) => (item as { payload?: ChartPoint } | undefined)?.payload;

  return (
    <div className="trend-charts">
      <ChartFigure
        label="Average backup size per day"
        caption={avgSize === null ? 'No sizes yet' : `${formatBytes(avgSize)} on average over ${sized.length} day${sized.length === 1 ? '' : 's'}`}
      >
        <ResponsiveContainer width="100%" height={CHART_HEIGHT}>
          <BarChart data={data} margin={MARGIN}>
            <CartesianGrid vertical={false} />
            <XAxis dataKey="label" interval={TICK_INTERVAL} tickLine={false} />
            <YAxis tickFormatter={tick(sizeUnit)} width={64} tickLine={false} axisLine={false} />
            <Tooltip
              formatter={(_value, _name, item) => [formatBytes(exact(item)?.avgSizeBytes), 'Average size']}
              contentStyle={TOOLTIP_STYLE}
              itemStyle={TOOLTIP_ITEM_STYLE}
              labelStyle={TOOLTIP_LABEL_STYLE}
              cursor={TOOLTIP_CURSOR}
            />
            <Bar dataKey="size" name="Average size" className="trend-bar" maxBarSize={18} radius={[3, 3, 0, 0]} isAnimationActive={false} />
          </BarChart>
        </ResponsiveContainer>
      </ChartFigure>
      <ChartFigure
        label="Average backup duration per day"
        caption={
          avgDuration === null
            ? 'No durations yet'
            : `${formatDuration(avgDuration)} on average over ${timed.length} day${timed.length === 1 ? '' : 's'}`
        }
      >
        <ResponsiveContainer width="100%" height={CHART_HEIGHT}>
          <LineChart data={data} margin={MARGIN}>
            <CartesianGrid vertical={false} />
            <XAxis dataKey="label" interval={TICK_INTERVAL} tickLine={false} />
            <YAxis tickFormatter={tick(timeUnit)} width={64} tickLine={false} axisLine={false} />
            <Tooltip
              formatter={(_value, _name, item) => [formatDuration(exact(item)?.avgDurationMs), 'Average duration']}
              contentStyle={TOOLTIP_STYLE}
              itemStyle={TOOLTIP_ITEM_STYLE}
              labelStyle={TOOLTIP_LABEL_STYLE}
            />
            <Line
              type="monotone"
              dataKey="duration"
              name="Average duration"
              className="trend-line"
              connectNulls
              dot={{ r: 3.5, className: 'trend-dot' }}
              activeDot={{ r: 5 }}
              isAnimationActive={false}
            />
          </LineChart>
        </ResponsiveContainer>
      </ChartFigure>
    </div>
  );
}

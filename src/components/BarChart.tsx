import { useState } from "react";
import { Layer, Rectangle, Surface } from "recharts";
import { Axes } from "./Axes.tsx";
import { HoverBands } from "./HoverBands.tsx";
import { Tooltip } from "./Tooltip.tsx";
import { bandWidth, frame, niceTicks, xOf, yOf } from "./_scale.ts";

export interface BarSeries {
  name: string;
  color: string;
  /** One value per label; null = hidden or no data (no bar, never a fake zero). */
  values: (number | null)[];
}

export interface BarChartProps {
  title: string;
  labels: string[];
  series: BarSeries[];
  unit: "percent" | "number" | "score";
  /** Stack the series (shares of a whole) instead of placing them side by side. */
  stacked?: boolean;
  /** Per-bar colours for a single series (e.g. NPS detractor / passive / promoter). */
  colors?: string[];
  width?: number;
  height?: number;
}

/**
 * A bar chart from recharts' SVG primitives at a fixed size: complete in the server's
 * HTML; hydrated only for the hover tooltip.
 */
export default function BarChart({ title, labels, series, unit, stacked = false, colors, width = 800, height = 260 }: BarChartProps) {
  const [hover, setHover] = useState<number | null>(null);
  const f = frame(width, height);
  const n = labels.length;
  const totals = labels.map((_, i) => series.reduce((sum, s) => sum + (s.values[i] ?? 0), 0));
  const max = stacked ? Math.max(0, ...totals) : Math.max(0, ...series.flatMap((s) => s.values.filter((v): v is number => v !== null)));
  const ticks = niceTicks(max);
  const band = bandWidth(f, n);
  const inner = band * 0.7;
  const barW = stacked ? inner : inner / Math.max(series.length, 1);
  const base = yOf(f, ticks, 0);
  return (
    <Surface width={width} height={height} viewBox={{ x: 0, y: 0, width, height }} role="img" aria-label={title} className="chart">
      <Axes f={f} ticks={ticks} labels={labels} unit={unit} />
      {labels.map((_, i) => {
        let stackTop = 0;
        return (
          <Layer key={i}>
            {series.map((s, j) => {
              const v = s.values[i];
              if (v === null || v === undefined || v <= 0) return null;
              const x = stacked ? xOf(f, i, n) - inner / 2 : xOf(f, i, n) - inner / 2 + j * barW;
              const top = yOf(f, ticks, stackTop + v);
              const bottom = stacked ? yOf(f, ticks, stackTop) : base;
              if (stacked) stackTop += v;
              return <Rectangle key={s.name} x={x} y={top} width={Math.max(barW - 1, 1)} height={Math.max(bottom - top, 0.5)} fill={colors?.[i] ?? s.color} />;
            })}
          </Layer>
        );
      })}
      <HoverBands frame={f} width={width} height={height} count={n} onHover={setHover} />
      {hover !== null ? (
        <Tooltip
          x={xOf(f, hover, n)}
          y={f.top}
          width={width}
          unit={unit}
          title={labels[hover] ?? ""}
          rows={series.map((s) => ({ name: s.name, color: colors?.[hover] ?? s.color, value: s.values[hover] ?? null }))}
        />
      ) : null}
    </Surface>
  );
}

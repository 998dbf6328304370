import { useState } from "react";
import { Curve, Dot, Layer, Polygon, Surface } from "recharts";
import { Axes } from "./Axes.tsx";
import { HoverBands } from "./HoverBands.tsx";
import { Tooltip } from "./Tooltip.tsx";
import { frame, niceTicks, xOf, yOf } from "./_scale.ts";

export interface LineSeries {
  name: string;
  color: string;
  /** One value per label; null = hidden or no data (the line breaks there). */
  values: (number | null)[];
  /** Optional interval drawn as a shaded band (e.g. NPS ± margin of error). */
  low?: (number | null)[];
  high?: (number | null)[];
}

export interface ChartMarker {
  /** Label index the marker sits on (e.g. the cohort a config change fell in). */
  index: number;
  label: string;
}

export interface LineChartProps {
  title: string;
  labels: string[];
  series: LineSeries[];
  unit: "percent" | "number" | "score";
  width?: number;
  height?: number;
  markers?: ChartMarker[];
  /** Values from this index on are provisional (drawn hollow). */
  provisionalFrom?: number;
  /** Allow negative values (NPS runs from −100 to 100). */
  min?: number;
}

/** Runs of consecutive non-null points: a hidden value breaks the line instead of faking zero. */
function runs(xs: number[], ys: (number | null)[]): { x: number; y: number }[][] {
  const out: { x: number; y: number }[][] = [];
  let cur: { x: number; y: number }[] = [];
  ys.forEach((y, i) => {
    if (y === null) {
      if (cur.length) out.push(cur);
      cur = [];
    } else cur.push({ x: xs[i]!, y });
  });
  if (cur.length) out.push(cur);
  return out;
}

/**
 * A line chart drawn with recharts' SVG primitives at a fixed size, so the server renders
 * the whole chart (recharts 3's chart containers draw nothing without a browser). Once
 * visible in a browser it hydrates only to show a tooltip for the hovered category.
 */
export default function LineChart({ title, labels, series, unit, width = 800, height = 260, markers = [], provisionalFrom, min = 0 }: LineChartProps) {
  const [hover, setHover] = useState<number | null>(null);
  const f = frame(width, height);
  const all = series.flatMap((s) => [...s.values, ...(s.high ?? [])]).filter((v): v is number => v !== null);
  const lowest = Math.min(min, ...series.flatMap((s) => [...s.values, ...(s.low ?? [])]).filter((v): v is number => v !== null));
  // Shift so the scale starts at 0: ticks are computed on the span, labels shifted back.
  const offset = lowest < 0 ? lowest : 0;
  const ticks = niceTicks(Math.max(...all, 0) - offset);
  const y = (v: number) => yOf(f, ticks, v - offset);
  const xs = labels.map((_, i) => xOf(f, i, labels.length));
  const shiftedTicks = ticks.map((t) => t + offset);
  return (
    <Surface width={width} height={height} viewBox={{ x: 0, y: 0, width, height }} role="img" aria-label={title} className="chart">
      <Axes f={{ ...f }} ticks={ticks} labels={labels} unit={unit} tickLabels={shiftedTicks} />
      {series.map((s) => (
        <Layer key={s.name} className="series">
          {s.low && s.high
            ? runs(xs, s.values.map((v, i) => (v === null || s.low![i] == null || s.high![i] == null ? null : v))).map((run, r) => {
                const idx = run.map((p) => xs.indexOf(p.x));
                const points = [...idx.map((i) => ({ x: xs[i]!, y: y(s.high![i]!) })), ...[...idx].reverse().map((i) => ({ x: xs[i]!, y: y(s.low![i]!) }))];
                return <Polygon key={`band${r}`} points={points} fill={s.color} fillOpacity={0.12} stroke="none" />;
              })
            : null}
          {s.low && s.high
            ? s.values.map((v, i) =>
                v === null || s.low![i] == null || s.high![i] == null ? null : (
                  <line key={`err${i}`} x1={xs[i]} x2={xs[i]} y1={y(s.low![i]!)} y2={y(s.high![i]!)} stroke={s.color} strokeOpacity={0.5} strokeWidth={6} strokeLinecap="round" />
                ),
              )
            : null}
          {runs(xs, s.values).map((run, r) => (
            <Curve key={r} type="linear" points={run.map((p) => ({ x: p.x, y: y(p.y) }))} stroke={s.color} strokeWidth={2} fill="none" />
          ))}
          {s.values.map((v, i) =>
            v === null ? null : (
              <Dot key={i} cx={xs[i]} cy={y(v)} r={3} fill={provisionalFrom !== undefined && i >= provisionalFrom ? "#fff" : s.color} stroke={s.color} />
            ),
          )}
        </Layer>
      ))}
      {markers.map((m, i) => (
        <g key={`m${i}`} className="marker">
          <line x1={xs[m.index]} x2={xs[m.index]} y1={f.top} y2={height - f.bottom} stroke="#9a6b2f" strokeDasharray="3 3" />
          <title>{m.label}</title>
          <path d={`M${xs[m.index]! - 4},${f.top - 2} h8 l-4,6 z`} fill="#9a6b2f" />
        </g>
      ))}
      <HoverBands frame={f} width={width} height={height} count={labels.length} onHover={setHover} />
      {hover !== null ? (
        <>
          <line x1={xs[hover]} x2={xs[hover]} y1={f.top} y2={height - f.bottom} stroke="#8a867c" pointerEvents="none" />
          <Tooltip
            x={xs[hover]!}
            y={f.top}
            width={width}
            unit={unit}
            title={[labels[hover], ...markers.filter((m) => m.index === hover).map((m) => `⚑ ${m.label}`)].join(" · ").slice(0, 48)}
            rows={series.map((s) => ({ name: s.name, color: s.color, value: s.values[hover] ?? null }))}
          />
        </>
      ) : null}
    </Surface>
  );
}

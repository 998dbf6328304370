import { Layer } from "recharts";
import { fmt, labelIndices, xOf, yOf, type Frame } from "./_scale.ts";

interface AxesProps {
  f: Frame;
  ticks: number[];
  labels: string[];
  unit: "percent" | "number" | "score";
  /** Values to print at the ticks when the scale is shifted (negative ranges). */
  tickLabels?: number[];
}

/**
 * Grid lines with y tick labels, and category labels along x. Plain <text>, not recharts'
 * Text: that one measures strings in the browser, so its hydrated attributes would differ
 * from the server's.
 */
export function Axes({ f, ticks, labels, unit, tickLabels }: AxesProps) {
  const shown = labelIndices(labels.length);
  return (
    <Layer className="axes">
      {ticks.map((t, i) => (
        <Layer key={`y${t}`}>
          <line x1={f.left} x2={f.width - f.right} y1={yOf(f, ticks, t)} y2={yOf(f, ticks, t)} stroke="#e4e2dc" />
          <text x={f.left - 6} y={yOf(f, ticks, t)} textAnchor="end" dominantBaseline="middle" fontSize={11} fill="#6b6860">
            {fmt(tickLabels?.[i] ?? t, unit)}
          </text>
        </Layer>
      ))}
      {labels.map((l, i) =>
        shown.has(i) ? (
          <text key={`x${i}`} x={xOf(f, i, labels.length)} y={f.height - f.bottom + 16} textAnchor="middle" fontSize={11} fill="#6b6860">
            {l}
          </text>
        ) : null,
      )}
    </Layer>
  );
}

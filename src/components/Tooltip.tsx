import { fmt } from "./_scale.ts";

export interface TooltipRow {
  name: string;
  color: string;
  value: number | null;
}

interface TooltipProps {
  x: number;
  y: number;
  width: number;
  title: string;
  rows: TooltipRow[];
  unit: "percent" | "number" | "score";
}

/** A small box drawn inside the SVG next to the hovered category (client only). */
export function Tooltip({ x, y, width, title, rows, unit }: TooltipProps) {
  const w = 150;
  const h = 22 + rows.length * 16;
  const left = x + w + 12 > width ? x - w - 12 : x + 12;
  return (
    <g className="tooltip" pointerEvents="none">
      <rect x={left} y={y} width={w} height={h} rx={4} fill="#fffdf8" stroke="#cfcbc0" />
      <text x={left + 8} y={y + 15} fontSize={11} fontWeight={600} fill="#2b2a27">
        {title}
      </text>
      {rows.map((r, i) => (
        <text key={r.name} x={left + 8} y={y + 31 + i * 16} fontSize={11} fill="#2b2a27">
          <tspan fill={r.color}>■ </tspan>
          {r.name}: {r.value === null ? "—" : fmt(r.value, unit)}
        </text>
      ))}
    </g>
  );
}

import { bandWidth, type Frame } from "./_scale.ts";

export interface HoverBandsProps {
  frame: Frame;
  width: number;
  height: number;
  /** How many x positions the chart has. */
  count: number;
  onHover: (index: number | null) => void;
}

/**
 * A transparent layer over a chart's plot area that reports which x band the pointer is
 * in, so bar and line charts share one tooltip behaviour. Coordinates are scaled from the
 * rendered box back to the SVG's own units because the SVG is drawn at a fixed size and
 * stretched by CSS.
 */
export function HoverBands({ frame: f, width, height, count, onHover }: HoverBandsProps) {
  return (
    <rect
      x={f.left}
      y={f.top}
      width={width - f.left - f.right}
      height={height - f.top - f.bottom}
      fill="transparent"
      onMouseMove={(e) => {
        const box = (e.currentTarget.ownerSVGElement ?? e.currentTarget).getBoundingClientRect();
        const px = ((e.clientX - box.left) / box.width) * width;
        onHover(Math.min(count - 1, Math.max(0, Math.floor((px - f.left) / bandWidth(f, count)))));
      }}
      onMouseLeave={() => onHover(null)}
    />
  );
}

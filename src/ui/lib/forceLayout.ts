/**
 * A small force-directed layout for the node graph: springs along edges, repulsion between all
 * nodes, a pull to the centre. Deterministic (initial positions on a circle), O(n²) per step, which
 * is fine for the few hundred peers a topology panel shows.
 */

/** A laid-out node. */
export interface LayoutNode {
  id: string;
  x: number;
  y: number;
}

/** Lays out `ids` connected by `edges` (pairs of ids) in a `width` × `height` box. */
export function forceLayout(
  ids: readonly string[],
  edges: readonly (readonly [string, string])[],
  width: number,
  height: number,
  iterations = 200,
): LayoutNode[] {
  const n = ids.length;
  const cx = width / 2;
  const cy = height / 2;
  const r0 = Math.min(width, height) * 0.35;
  const x = new Float64Array(n);
  const y = new Float64Array(n);
  ids.forEach((_, i) => {
    x[i] = cx + r0 * Math.cos((2 * Math.PI * i) / Math.max(1, n));
    y[i] = cy + r0 * Math.sin((2 * Math.PI * i) / Math.max(1, n));
  });
  const pos = new Map(ids.map((id, i) => [id, i]));
  const links = edges
    .map(([a, b]) => [pos.get(a), pos.get(b)] as const)
    .filter((e): e is readonly [number, number] => e[0] !== undefined && e[1] !== undefined && e[0] !== e[1]);
  const k = Math.sqrt((width * height) / Math.max(1, n)) * 0.6;
  const dx = new Float64Array(n);
  const dy = new Float64Array(n);
  for (let it = 0; it < iterations; it++) {
    const temp = (Math.min(width, height) / 10) * (1 - it / iterations) + 0.5;
    dx.fill(0);
    dy.fill(0);
    for (let i = 0; i < n; i++) {
      for (let j = i + 1; j < n; j++) {
        let ddx = x[i]! - x[j]!;
        let ddy = y[i]! - y[j]!;
        let d2 = ddx * ddx + ddy * ddy;
        if (d2 < 0.01) {
          ddx = 0.1 * (i - j);
          ddy = 0.1;
          d2 = ddx * ddx + ddy * ddy;
        }
        const f = (k * k) / d2;
        dx[i]! += ddx * f;
        dy[i]! += ddy * f;
        dx[j]! -= ddx * f;
        dy[j]! -= ddy * f;
      }
    }
    for (const [a, b] of links) {
      const ddx = x[a]! - x[b]!;
      const ddy = y[a]! - y[b]!;
      const d = Math.sqrt(ddx * ddx + ddy * ddy) || 0.01;
      const f = d / k;
      dx[a]! -= ddx * f;
      dy[a]! -= ddy * f;
      dx[b]! += ddx * f;
      dy[b]! += ddy * f;
    }
    for (let i = 0; i < n; i++) {
      dx[i]! += (cx - x[i]!) * 0.05;
      dy[i]! += (cy - y[i]!) * 0.05;
      const len = Math.sqrt(dx[i]! * dx[i]! + dy[i]! * dy[i]!) || 1;
      const step = Math.min(len, temp);
      x[i] = Math.min(width - 10, Math.max(10, x[i]! + (dx[i]! / len) * step));
      y[i] = Math.min(height - 10, Math.max(10, y[i]! + (dy[i]! / len) * step));
    }
  }
  return ids.map((id, i) => ({ id, x: x[i]!, y: y[i]! }));
}

/**
 * Small unconstrained minimisers for the CLV likelihoods: BFGS when the gradient is known
 * (the models supply analytic ones) and Nelder–Mead as a derivative-free fallback. Both work
 * on a handful of parameters; the models pass log-parameters so every point is admissible.
 */

export interface MinimiseResult {
  x: number[];
  value: number;
  iterations: number;
  evaluations: number;
  converged: boolean;
}

export interface ValueAndGradient {
  value: number;
  gradient: number[];
}

export interface BfgsOptions {
  maxIterations?: number;
  /** Converged when every gradient component is at most this (the caller scales the objective). */
  gradientTolerance?: number;
  /** Longest step, in the largest coordinate: keeps log-parameters from jumping to overflow. */
  maxStep?: number;
}

const dot = (u: number[], v: number[]) => u.reduce((sum, ui, i) => sum + ui * v[i]!, 0);
const maxAbs = (v: number[]) => v.reduce((m, vi) => Math.max(m, Math.abs(vi)), 0);

/** BFGS with an Armijo backtracking line search; non-finite values count as "too far". */
export function minimiseBfgs(fn: (x: number[]) => ValueAndGradient, x0: number[], options: BfgsOptions = {}): MinimiseResult {
  const maxIterations = options.maxIterations ?? 500;
  const gtol = options.gradientTolerance ?? 1e-9;
  const maxStep = options.maxStep ?? 2;
  const n = x0.length;
  const identity = (): number[][] => Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => (i === j ? 1 : 0)));

  let x = [...x0];
  let current = fn(x);
  let evaluations = 1;
  if (!Number.isFinite(current.value) || !current.gradient.every(Number.isFinite)) {
    return { x, value: current.value, iterations: 0, evaluations, converged: false };
  }
  // Inverse Hessian approximation.
  let h = identity();
  let fresh = true;
  for (let iteration = 1; iteration <= maxIterations; iteration++) {
    const g = current.gradient;
    if (maxAbs(g) <= gtol) return { x, value: current.value, iterations: iteration - 1, evaluations, converged: true };
    let direction = h.map((row) => -dot(row, g));
    let slope = dot(direction, g);
    if (!(slope < 0)) {
      // Not a descent direction: the curvature model went wrong, start it afresh.
      h = identity();
      fresh = true;
      direction = g.map((gi) => -gi);
      slope = dot(direction, g);
    }
    const longest = maxAbs(direction);
    if (longest > maxStep) {
      direction = direction.map((d) => (d * maxStep) / longest);
      slope = dot(direction, g);
    }

    let step = 1;
    let next: ValueAndGradient | undefined;
    let nextX = x;
    for (let tries = 0; tries < 60; tries++) {
      nextX = x.map((xi, i) => xi + step * direction[i]!);
      const candidate = fn(nextX);
      evaluations++;
      if (Number.isFinite(candidate.value) && candidate.gradient.every(Number.isFinite) && candidate.value <= current.value + 1e-4 * step * slope) {
        next = candidate;
        break;
      }
      step *= 0.5;
    }
    if (!next) {
      if (!fresh) {
        // A stale curvature model can point nowhere useful; one more try along the gradient.
        h = identity();
        fresh = true;
        continue;
      }
      // No progress is possible along the gradient either: at a minimum up to rounding.
      return { x, value: current.value, iterations: iteration, evaluations, converged: maxAbs(g) <= Math.sqrt(gtol) };
    }

    const s = nextX.map((xi, i) => xi - x[i]!);
    const y = next.gradient.map((gi, i) => gi - g[i]!);
    const sy = dot(s, y);
    const improvement = current.value - next.value;
    x = nextX;
    current = next;
    if (sy > 1e-12 * Math.sqrt(dot(s, s) * dot(y, y))) {
      if (fresh) {
        // Scale the first approximation to the observed curvature (Nocedal & Wright, eq. 6.20).
        const scale = sy / dot(y, y);
        h = h.map((row) => row.map((v) => v * scale));
        fresh = false;
      }
      const hy = h.map((row) => dot(row, y));
      const yhy = dot(y, hy);
      const rho = 1 / sy;
      h = h.map((row, i) =>
        row.map((v, j) => v - rho * (hy[i]! * s[j]! + s[i]! * hy[j]!) + (rho * rho * yhy + rho) * s[i]! * s[j]!),
      );
    }
    if (improvement >= 0 && improvement <= 1e-15 * Math.max(1, Math.abs(current.value)) && maxAbs(current.gradient) <= Math.sqrt(gtol)) {
      return { x, value: current.value, iterations: iteration, evaluations, converged: true };
    }
  }
  return { x, value: current.value, iterations: maxIterations, evaluations, converged: maxAbs(current.gradient) <= gtol };
}

export interface NelderMeadOptions {
  maxIterations?: number;
  /** Converged when the simplex's values and its points both agree within these. */
  valueTolerance?: number;
  pointTolerance?: number;
  initialStep?: number;
}

/** Nelder–Mead with the dimension-adaptive coefficients of Gao & Han (2012). */
export function minimiseNelderMead(fn: (x: number[]) => number, x0: number[], options: NelderMeadOptions = {}): MinimiseResult {
  const n = x0.length;
  const maxIterations = options.maxIterations ?? 2000 * n;
  const ftol = options.valueTolerance ?? 1e-12;
  const xtol = options.pointTolerance ?? 1e-10;
  const alpha = 1;
  const beta = 1 + 2 / n;
  const gamma = 0.75 - 1 / (2 * n);
  const delta = 1 - 1 / n;
  let evaluations = 0;
  const f = (x: number[]) => {
    evaluations++;
    const value = fn(x);
    return Number.isFinite(value) ? value : Infinity;
  };

  const step = options.initialStep ?? 0.5;
  let simplex = [x0, ...x0.map((_, i) => x0.map((v, j) => (i === j ? v + step : v)))].map((x) => ({ x, value: f(x) }));
  let iteration = 0;
  for (; iteration < maxIterations; iteration++) {
    simplex.sort((p, q) => p.value - q.value);
    const best = simplex[0]!;
    const worst = simplex[n]!;
    const spread = Math.abs(worst.value - best.value);
    const size = Math.max(...simplex.slice(1).map((p) => maxAbs(p.x.map((v, i) => v - best.x[i]!))));
    if (spread <= ftol * Math.max(1, Math.abs(best.value)) && size <= xtol * Math.max(1, maxAbs(best.x))) {
      return { x: best.x, value: best.value, iterations: iteration, evaluations, converged: true };
    }
    const centroid = x0.map((_, i) => simplex.slice(0, n).reduce((sum, p) => sum + p.x[i]!, 0) / n);
    const along = (t: number) => centroid.map((c, i) => c + t * (worst.x[i]! - c));
    const reflected = along(-alpha);
    const fr = f(reflected);
    const secondWorst = simplex[n - 1]!;
    if (fr < best.value) {
      const expanded = along(-alpha * beta);
      const fe = f(expanded);
      simplex[n] = fe < fr ? { x: expanded, value: fe } : { x: reflected, value: fr };
    } else if (fr < secondWorst.value) {
      simplex[n] = { x: reflected, value: fr };
    } else {
      const contracted = fr < worst.value ? along(-alpha * gamma) : along(gamma);
      const fc = f(contracted);
      if (fc < Math.min(fr, worst.value)) {
        simplex[n] = { x: contracted, value: fc };
      } else {
        simplex = simplex.map((p, k) => {
          if (k === 0) return p;
          const x = p.x.map((v, i) => best.x[i]! + delta * (v - best.x[i]!));
          return { x, value: f(x) };
        });
      }
    }
  }
  simplex.sort((p, q) => p.value - q.value);
  const best = simplex[0]!;
  return { x: best.x, value: best.value, iterations: iteration, evaluations, converged: false };
}

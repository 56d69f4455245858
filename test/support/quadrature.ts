/**
 * Brute-force numerical integration for checking the CLV closed forms independently:
 * tanh-sinh (double-exponential) quadrature, which copes with the integrable endpoint
 * singularities of Gamma and Beta densities with shape < 1.
 */

const T_MAX = 4.5;

/**
 * ∫_0^1 f(x) dx; f also gets 1 − x, computed without cancellation near 1. The default step suits
 * densities spread over their range; a sharply peaked integrand needs a finer one.
 */
export function integrate01(f: (x: number, oneMinusX: number) => number, step = 1 / 32): number {
  let sum = 0;
  for (let i = Math.ceil(-T_MAX / step); i * step <= T_MAX; i++) {
    const t = i * step;
    const u = (Math.PI / 2) * Math.sinh(t);
    const x = 1 / (1 + Math.exp(-2 * u));
    const oneMinusX = 1 / (1 + Math.exp(2 * u));
    if (x <= 0 || oneMinusX <= 0) continue;
    const weight = ((Math.PI / 2) * Math.cosh(t)) / (2 * Math.cosh(u) ** 2);
    const value = f(x, oneMinusX);
    if (value !== 0) sum += weight * value;
  }
  return sum * step;
}

/** ∫_0^∞ f(y) dy through y = scale·x/(1−x); `scale` should be about where f lives. */
export function integrate0Inf(f: (y: number) => number, scale: number, step?: number): number {
  return integrate01((x, oneMinusX) => {
    const y = (scale * x) / oneMinusX;
    return Number.isFinite(y) ? (f(y) * scale) / (oneMinusX * oneMinusX) : 0;
  }, step);
}

export const gammaDensity = (shape: number, rate: number, lnGamma: (x: number) => number) => (y: number) =>
  Math.exp(shape * Math.log(rate) + (shape - 1) * Math.log(y) - rate * y - lnGamma(shape));

export const betaDensity = (a: number, b: number, lnGamma: (x: number) => number) => (p: number, oneMinusP: number) =>
  Math.exp((a - 1) * Math.log(p) + (b - 1) * Math.log(oneMinusP) + lnGamma(a + b) - lnGamma(a) - lnGamma(b));

import { describe, expect, it } from "vitest";
import { minimiseBfgs, minimiseNelderMead } from "../src/analytics/clv/optimise.ts";
import { digamma, hyp2f1, hyp2f1MinusOneOverB, lnGamma, logAddExp } from "../src/analytics/clv/special-functions.ts";

const EULER_GAMMA = 0.5772156649015329;
const relative = (actual: number, expected: number) => Math.abs(actual - expected) / Math.max(Math.abs(expected), 1e-300);

describe("lnGamma", () => {
  it("matches factorials, Γ(1/2) = √π and a tabulated large value", () => {
    let factorial = 1;
    for (let n = 1; n <= 25; n++) {
      expect(relative(lnGamma(n + 1), Math.log((factorial *= n)))).toBeLessThan(1e-14);
    }
    expect(lnGamma(1)).toBeCloseTo(0, 14);
    expect(lnGamma(2)).toBeCloseTo(0, 14);
    expect(lnGamma(0.5)).toBeCloseTo(Math.log(Math.sqrt(Math.PI)), 14);
    expect(relative(lnGamma(100), 359.13420536957539878)).toBeLessThan(1e-14);
    expect(relative(lnGamma(1e6), 12815504.569147612)).toBeLessThan(1e-14);
  });

  it("satisfies Γ(x+1) = xΓ(x) for small and fractional x", () => {
    for (const x of [1e-10, 1e-4, 0.05, 0.243, 0.4999, 0.5, 0.793, 1.7, 3.74, 42.5]) {
      expect(Math.abs(lnGamma(x + 1) - lnGamma(x) - Math.log(x))).toBeLessThan(1e-13 * Math.max(1, Math.abs(lnGamma(x))));
    }
  });

  it("is infinite at the poles", () => {
    expect(lnGamma(0)).toBe(Infinity);
    expect(lnGamma(-3)).toBe(Infinity);
  });
});

describe("digamma", () => {
  it("matches ψ(1) = −γ, ψ(1/2) = −γ − 2 ln 2 and the recurrence", () => {
    expect(digamma(1)).toBeCloseTo(-EULER_GAMMA, 13);
    expect(digamma(0.5)).toBeCloseTo(-EULER_GAMMA - 2 * Math.LN2, 13);
    for (const x of [1e-6, 0.24, 0.79, 2.43, 9.99, 10, 150]) {
      expect(relative(digamma(x + 1) - digamma(x), 1 / x)).toBeLessThan(1e-12);
    }
  });

  it("is the derivative of lnGamma (central differences)", () => {
    for (const x of [0.1, 0.243, 1, 4.41, 37.3]) {
      const h = 1e-5 * Math.max(1, x);
      expect(digamma(x)).toBeCloseTo((lnGamma(x + h) - lnGamma(x - h)) / (2 * h), 7);
    }
  });
});

describe("hyp2f1", () => {
  it("matches elementary closed forms on [0, 1)", () => {
    for (const z of [0, 0.1, 0.5, 0.9, 0.99]) {
      // 2F1(1, 1; 2; z) = −ln(1−z)/z
      expect(relative(hyp2f1(1, 1, 2, z), z === 0 ? 1 : -Math.log1p(-z) / z)).toBeLessThan(1e-13);
      // 2F1(a, b; b; z) = (1−z)^−a
      expect(relative(hyp2f1(0.243, 2.426, 2.426, z), Math.pow(1 - z, -0.243))).toBeLessThan(1e-13);
    }
    for (const s of [0.2, 0.7, 0.95]) {
      // 2F1(1/2, 1/2; 3/2; s²) = arcsin(s)/s
      expect(relative(hyp2f1(0.5, 0.5, 1.5, s * s), Math.asin(s) / s)).toBeLessThan(1e-13);
    }
  });

  it("handles negative z (Pfaff transformation) and terminating series", () => {
    expect(relative(hyp2f1(1, 1, 2, -0.8), Math.log(1.8) / 0.8)).toBeLessThan(1e-13);
    expect(relative(hyp2f1(1, 1, 2, -5), Math.log(6) / 5)).toBeLessThan(1e-13);
    // 2F1(−2, b; c; z) = 1 − 2bz/c + b(b+1)z²/(c(c+1))
    const [b, c, z] = [1.5, 2.5, 0.6];
    expect(relative(hyp2f1(-2, b, c, z), 1 - (2 * b * z) / c + (b * (b + 1) * z * z) / (c * (c + 1)))).toBeLessThan(1e-14);
  });

  it("refuses arguments outside what is implemented", () => {
    expect(() => hyp2f1(1, 1, 2, 1)).toThrow(RangeError);
    expect(() => hyp2f1(1, 1, -2, 0.5)).toThrow(RangeError);
  });

  it("(2F1 − 1)/b is exact as b → 0", () => {
    // At b = 0 the series is Σ (a)_n zⁿ / ((c)_n n); with a = c = 1 that is −ln(1−z).
    for (const z of [0.3, 0.9]) expect(relative(hyp2f1MinusOneOverB(1, 0, 1, z), -Math.log1p(-z))).toBeLessThan(1e-13);
    const [a, b, c, z] = [2.2, 0.37, 3.1, 0.6];
    expect(relative(hyp2f1MinusOneOverB(a, b, c, z), (hyp2f1(a, b, c, z) - 1) / b)).toBeLessThan(1e-13);
  });

  it("logAddExp does not overflow", () => {
    expect(logAddExp(1000, 1000)).toBeCloseTo(1000 + Math.LN2, 12);
    expect(logAddExp(-Infinity, 3)).toBe(3);
  });
});

describe("minimisers", () => {
  const rosenbrock = (x: number[]) => (1 - x[0]!) ** 2 + 100 * (x[1]! - x[0]! ** 2) ** 2;
  const rosenbrockGradient = (x: number[]) => [-2 * (1 - x[0]!) - 400 * x[0]! * (x[1]! - x[0]! ** 2), 200 * (x[1]! - x[0]! ** 2)];

  it("BFGS finds the Rosenbrock minimum", () => {
    const result = minimiseBfgs((x) => ({ value: rosenbrock(x), gradient: rosenbrockGradient(x) }), [-1.2, 1], { maxStep: 10 });
    expect(result.converged).toBe(true);
    expect(result.x[0]).toBeCloseTo(1, 6);
    expect(result.x[1]).toBeCloseTo(1, 6);
  });

  it("Nelder–Mead finds the Rosenbrock minimum", () => {
    const result = minimiseNelderMead(rosenbrock, [-1.2, 1]);
    expect(result.converged).toBe(true);
    expect(result.x[0]).toBeCloseTo(1, 5);
    expect(result.x[1]).toBeCloseTo(1, 5);
  });

  it("BFGS backs off from regions where the objective is not finite", () => {
    // Defined for x > 0 only; the minimum of x − ln x is at 1.
    const f = (x: number[]) => ({ value: x[0]! > 0 ? x[0]! - Math.log(x[0]!) : NaN, gradient: [1 - 1 / x[0]!] });
    const result = minimiseBfgs(f, [0.05], { maxStep: 100 });
    expect(result.converged).toBe(true);
    expect(result.x[0]).toBeCloseTo(1, 6);
  });
});

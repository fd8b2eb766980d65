#!/usr/bin/env python3
"""An independent check of Invoke-LatencyComparison's stopping rule (docs/statistics.md), written apart from the C#.

Simulates experiments in the module's running order (A B B A A B B A ...) under the noise models of the xunit tests
and compares three analyses of the same iterations, each stopping at the first look that decides:
  * "pocock"  : the rule before issue 16 - Welch/Fieller at a Brownian (Pocock) constant c = 2.437 (98.5 % looks);
  * "welch"   : the rule now - Welch/Fieller with one level alpha' for all looks, calibrated by simulating Welch's
                p at several ratios of the arms' standard deviations (the smallest alpha' over them);
  * "blocks"  : ABBA block contrasts (mean log B - mean log A within each block of four), a one-sample t on the
                contrasts, looks at complete blocks, calibrated the same way over the same grid (the alternative the
                issue asked to measure).
Prints markdown tables: false verdicts at a true ratio of 1.00 and at the margin, and right verdicts with the mean
iterations per arm. Run: /usr/bin/python3 bench/reference/sequential-rules.py  (numpy, scipy; about 5 minutes).
"""
import numpy as np
from scipy import stats

R = 20000
rng = np.random.default_rng(20261207)
MARGIN = 5.0


def order(steps):
    return np.array([0 if (p % 4) in (0, 3) else 1 for p in range(steps)])


def series(steps, sdA, sdB, ratio=1.0, host=0.0, host_phi=0.6, arm_phi=0.0, drift=0.0, step=0.0):
    """log values, R x steps, in running order; the arms' own noise independent per arm, the host's shared."""
    arm = order(steps)

    def ar(phi):
        z = rng.standard_normal((R, steps))
        if phi == 0:
            return z
        e = np.empty_like(z)
        e[:, 0] = z[:, 0]
        for t in range(1, steps):
            e[:, t] = phi * e[:, t - 1] + np.sqrt(1 - phi * phi) * z[:, t]
        return e

    own = np.where(arm == 0, sdA * ar(arm_phi), sdB * ar(arm_phi))
    t = np.arange(steps)
    level = np.log(20) + np.where(arm == 1, np.log(ratio), 0) + drift * t / (steps - 1) + np.where(t >= steps // 2, step, 0)
    return arm, level + own + (host * ar(host_phi) if host > 0 else 0)


def verdicts(lo, hi):
    eq = (lo > -MARGIN) & (hi < MARGIN)
    return np.where(eq, 1, np.where(lo > 0, 2, np.where(hi < 0, 3, 0)))   # 1 Equivalent, 2 Slower, 3 Faster


def welch_rule(L, nmin, nmax, a1):
    """Welch t and Fieller's interval of the ratio of means on the raw values, looks at n = nmin..nmax per arm."""
    Y = np.exp(L)
    apos = [p for p in range(L.shape[1]) if (p % 4) in (0, 3)]
    bpos = [p for p in range(L.shape[1]) if (p % 4) in (1, 2)]
    out = np.zeros(R, int); used = np.full(R, nmax); done = np.zeros(R, bool)
    for n in range(nmin, nmax + 1):
        A, B = Y[:, apos[:n]], Y[:, bpos[:n]]
        ma, mb = A.mean(1), B.mean(1)
        va, vb = A.var(1, ddof=1) / n, B.var(1, ddof=1) / n
        df = (va + vb) ** 2 / ((va ** 2 + vb ** 2) / (n - 1))
        q = stats.t.isf(a1 / 2, df)
        g, w, r = q * q * va / ma ** 2, q * q * vb / ma ** 2, mb / ma
        half = np.sqrt(np.maximum(g * r * r + (1 - g) * w, 0))
        ok = g < 1
        lo = np.where(ok, 100 * (r - 1 + g - half) / (1 - g), -np.inf)
        hi = np.where(ok, 100 * (r - 1 + g + half) / (1 - g), np.inf)
        v = verdicts(lo, hi)
        new = ~done & (v > 0); out[new] = v[new]; used[new] = n; done |= new
    return out, used


def block_rule(L, mmin, mmax, a1):
    C = np.stack([(L[:, 4 * j + 1] + L[:, 4 * j + 2] - L[:, 4 * j] - L[:, 4 * j + 3]) / 2 for j in range(mmax)], 1)
    out = np.zeros(R, int); used = np.full(R, 2 * mmax); done = np.zeros(R, bool)
    for m in range(mmin, mmax + 1):
        c = C[:, :m]; mu = c.mean(1); se = c.std(1, ddof=1) / np.sqrt(m); q = stats.t.isf(a1 / 2, m - 1)
        v = verdicts(100 * (np.exp(mu - q * se) - 1), 100 * (np.exp(mu + q * se) - 1))
        new = ~done & (v > 0); out[new] = v[new]; used[new] = 2 * m; done |= new
    return out, used


def calibrate_welch(nmin, nmax, alpha, share=0.95, paths=200000):
    best = 1.0
    for k in [1, 1.5, 2, 3, 4, 6, 10, 30, 1000]:
        A = rng.standard_normal((paths, nmax)); B = k * rng.standard_normal((paths, nmax))
        pm = np.ones(paths)
        for n in range(nmin, nmax + 1):
            a, b = A[:, :n], B[:, :n]; va, vb = a.var(1, ddof=1) / n, b.var(1, ddof=1) / n
            t = (b.mean(1) - a.mean(1)) / np.sqrt(va + vb); df = (va + vb) ** 2 / ((va ** 2 + vb ** 2) / (n - 1))
            pm = np.minimum(pm, 2 * stats.t.sf(abs(t), df))
        best = min(best, np.quantile(pm, share * alpha))
    return best


def calibrate_blocks(mmin, mmax, alpha, share=0.95, paths=200000):
    x = rng.standard_normal((paths, mmax)); pm = np.ones(paths)
    for m in range(mmin, mmax + 1):
        c = x[:, :m]; t = c.mean(1) / (c.std(1, ddof=1) / np.sqrt(m)); pm = np.minimum(pm, 2 * stats.t.sf(abs(t), m - 1))
    return np.quantile(pm, share * alpha)


def main():
    a_welch = calibrate_welch(3, 10, 0.05)
    a_blocks = calibrate_blocks(2, 5, 0.05)
    a_pocock = 2 * stats.norm.sf(2.437)
    rules = [("pocock (before)", lambda L: welch_rule(L, 3, 10, a_pocock)),
             ("welch, calibrated (now)", lambda L: welch_rule(L, 3, 10, a_welch)),
             ("ABBA blocks, calibrated", lambda L: block_rule(L, 2, 5, a_blocks))]
    print(f"alpha' per look: pocock {a_pocock:.5f}, welch calibrated {a_welch:.5f}, blocks {a_blocks:.5f}; "
          f"{R} experiments per row, 3..10 iterations per arm (blocks: 2..5 blocks of ABBA); Monte Carlo s.e. at 5 %: "
          f"{100 * np.sqrt(0.05 * 0.95 / R):.2f} points\n")
    rows = [("iid 1:1", dict(sdA=.05, sdB=.05)), ("iid 1:2", dict(sdA=.05, sdB=.10)), ("iid 1:4", dict(sdA=.05, sdB=.20)),
            ("iid 1:10", dict(sdA=.02, sdB=.20)), ("iid 10:1", dict(sdA=.20, sdB=.02)),
            ("host AR(1) 0.6, arms 1:1", dict(sdA=.05, sdB=.05, host=.05)),
            ("host AR(1) 0.6, arms 1:4", dict(sdA=.05, sdB=.20, host=.05)),
            ("drift +10 %, 1:1", dict(sdA=.05, sdB=.05, drift=np.log(1.1))),
            ("step +10 %, 1:1", dict(sdA=.05, sdB=.05, step=np.log(1.1))),
            ("stress: own AR(1) 0.6 per arm, 1:1", dict(sdA=.05, sdB=.05, arm_phi=.6)),
            ("stress: own AR(1) 0.6 per arm, 1:4", dict(sdA=.05, sdB=.20, arm_phi=.6)),
            ("stress: own AR(1) 0.6 per arm, 10:1", dict(sdA=.20, sdB=.02, arm_phi=.6))]
    print("| True ratio 1.00: false Slower/Faster | " + " | ".join(n for n, _ in rules) + " |")
    print("|---|" + "---|" * len(rules))
    for name, kw in rows:
        L = series(20, **kw)[1]
        print(f"| {name} | " + " | ".join(f"{100 * np.mean(rule(L)[0] >= 2):.2f} %" for _, rule in rules) + " |")
    print()
    print("| Margin: false Equivalent | " + " | ".join(n for n, _ in rules) + " |")
    print("|---|" + "---|" * len(rules))
    for name, kw in [("ratio 1.05, iid 1:1 (3 %)", dict(sdA=.03, sdB=.03, ratio=1.05)), ("ratio 0.95, iid 1:4", dict(sdA=.015, sdB=.06, ratio=.95))]:
        L = series(20, **kw)[1]
        print(f"| {name} | " + " | ".join(f"{100 * np.mean(rule(L)[0] == 1):.2f} %" for _, rule in rules) + " |")
    print()
    print("| Right verdict (iterations per arm) | " + " | ".join(n for n, _ in rules) + " |")
    print("|---|" + "---|" * len(rules))
    for name, kw, want in [("1.10, iid 10 %", dict(sdA=.1, sdB=.1, ratio=1.1), 2),
                           ("1.10, host AR 7 % + iid 7 %", dict(sdA=.07, sdB=.07, host=.07, ratio=1.1), 2),
                           ("1.30, iid 10 %", dict(sdA=.1, sdB=.1, ratio=1.3), 2),
                           ("1.00, iid 2 % (Equivalent)", dict(sdA=.02, sdB=.02), 1),
                           ("1.00, iid 2 %:4 % (Equivalent)", dict(sdA=.02, sdB=.04), 1),
                           ("1.00, 3 %, drift +10 % (Equivalent)", dict(sdA=.03, sdB=.03, drift=np.log(1.1)), 1),
                           ("1.05, iid 3 %", dict(sdA=.03, sdB=.03, ratio=1.05), 2)]:
        L = series(20, **kw)[1]
        cells = []
        for _, rule in rules:
            v, u = rule(L)
            cells.append(f"{100 * np.mean(v == want):.1f} % ({np.mean(u):.1f})")
        print(f"| {name} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Recompute dataport's published composite index from its exported indicators.

Usage: recompute_index.py BASE_URL YEAR [INDEX_JSON_FILE]

Fetches GET BASE_URL/api/v1/stats/index?period=YEAR (the published index and
its method) and GET BASE_URL/api/v1/stats/indicators?period=YEAR (the values
behind it), recomputes the index with the method as docs/stats-index.md
states it -- written here from that text, sharing no code with dataport --
and checks that the inputs' SHA-256, every score, rank and rank range, the
unranked institutions and the indicators left out equal the published ones,
and that each published rank lies within its published range. Prints one
line and exits 0 when everything matches; prints every difference and exits
1 otherwise. With INDEX_JSON_FILE, the published index is read from that
file instead (the test's control: a tampered index must be caught).
Standard library only.
"""

import hashlib
import json
import math
import sys
import urllib.request

MASK = (1 << 64) - 1


def fetch(url):
    with urllib.request.urlopen(url, timeout=60) as resp:
        return json.load(resp)


def canonical_inputs(inp):
    """One line "org TAB code TAB %.17g" per value, sorted, newline-ended."""
    lines = []
    for unit, values in inp.items():
        for code, v in values.items():
            lines.append("%s\t%s\t%s\n" % (unit, code, "%.17g" % v))
    lines.sort(key=lambda s: s.encode("utf-8"))
    return "".join(lines)


def index_input(method, table):
    """Every institution of the table (not the city, org_id "") with its
    values of the method's indicators."""
    codes = {w["code"] for w in method["indicators"]}
    inp = {o["id"]: {} for o in table["orgs"] if o["id"] != ""}
    for v in table["values"]:
        if v["org_id"] in inp and v["indicator"] in codes:
            inp[v["org_id"]][v["indicator"]] = float(v["value"])
    return inp


class SplitMix64:
    def __init__(self, seed):
        self.state = seed & MASK

    def next(self):
        self.state = (self.state + 0x9E3779B97F4A7C15) & MASK
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
        return z ^ (z >> 31)

    def uniform(self):
        return (self.next() >> 11) * 2.0 ** -53


def round6(x):
    return float("%.6f" % x) + 0.0


class Table:
    """Steps 1-3: units, present values (direction applied), coverage,
    ranked units and constant indicators."""

    def __init__(self, method, inp):
        self.inds = method["indicators"]
        self.units = sorted(inp, key=lambda s: s.encode("utf-8"))
        total = 0.0
        for w in self.inds:
            total += w["weight"]
        self.values, self.coverage, self.ranked, self.unranked = {}, {}, {}, []
        for u in self.units:
            vals, have = {}, 0.0
            for i, w in enumerate(self.inds):
                if w["code"] not in inp[u]:
                    continue
                x = inp[u][w["code"]]
                if w.get("transform", "") == "log1p":
                    if not x >= 0:
                        continue
                    x = math.log1p(x)
                if not math.isfinite(x):
                    continue
                vals[i] = x * w["direction"]
                have += w["weight"]
            cov = have / total
            self.values[u], self.coverage[u] = vals, cov
            self.ranked[u] = have > 0 and cov >= method["min_coverage"]
            if not self.ranked[u]:
                self.unranked.append((u, "coverage"))
        self.constant = []
        for i in range(len(self.inds)):
            xs = self.column(i)
            self.constant.append(len(xs) < 2 or min(xs) == max(xs))

    def column(self, i):
        return [self.values[u][i] for u in self.units if self.ranked[u] and i in self.values[u]]

    def used(self, u, i):
        return self.ranked[u] and i in self.values[u] and not self.constant[i]

    def normalise(self, kind):
        """Step 4: min-max, or z-scores of the min-max values."""
        norm = {u: {} for u in self.units}
        for i in range(len(self.inds)):
            if self.constant[i]:
                continue
            xs = self.column(i)
            lo, hi = min(xs), max(xs)
            mm = [minmax(x, lo, hi) for x in xs]
            total = 0.0
            for x in mm:
                total += x
            mu = total / len(mm)
            ss = 0.0
            for x in mm:
                d = x - mu
                ss += d * d
            sigma = math.sqrt(ss / len(mm))
            for u in self.units:
                if self.used(u, i):
                    n = minmax(self.values[u][i], lo, hi)
                    norm[u][i] = (n - mu) / sigma if kind == "zscore" else n
        return norm

    def aggregate(self, norm, weights, kind, agg, floor):
        """Steps 5-6 (rounding): each unit's score, None when it has no indicator."""
        scores = {}
        for u in self.units:
            total, wsum = 0.0, 0.0
            for i in range(len(self.inds)):
                if not self.used(u, i):
                    continue
                n = norm[u][i]
                if agg == "geometric":
                    n = math.log(floor + (1 - floor) * n)
                total += weights[i] * n
                wsum += weights[i]
            if wsum > 0:
                s = total / wsum
                if agg == "geometric":
                    s = math.exp(s)
                if kind == "minmax":
                    s *= 100
                scores[u] = round6(s)
            else:
                scores[u] = None
        return scores


def minmax(x, lo, hi):
    if math.isinf(hi - lo):
        v = (x / 2 - lo / 2) / (hi / 2 - lo / 2)
    else:
        v = (x - lo) / (hi - lo)
    return max(0.0, min(1.0, v))


def ranks(units, scores):
    """Competition ranks, highest first."""
    return {u: 1 + sum(1 for v in units if scores[v] > scores[u]) for u in units}


def compute(method, inp):
    t = Table(method, inp)
    weights = [w["weight"] for w in method["indicators"]]
    kind, agg, floor = method["normalisation"], method["aggregation"], method.get("floor", 0)
    norm = t.normalise(kind)
    scores = t.aggregate(norm, weights, kind, agg, floor)
    units = [u for u in t.units if scores[u] is not None]
    unranked = list(t.unranked) + [(u, "no_varying_indicator") for u in t.units if t.ranked[u] and scores[u] is None]
    published = ranks(units, scores)
    lo, hi, runs = dict(published), dict(published), 1

    def add(rs):
        for u, k in rs.items():
            lo[u], hi[u] = min(lo[u], k), max(hi[u], k)

    sens = method["sensitivity"]
    rng, jitter = SplitMix64(sens["seed"]), sens["jitter"]
    for _ in range(sens["runs"]):
        perturbed = [w * ((1 - jitter) + (2 * jitter) * rng.uniform()) for w in weights]
        add(ranks(units, t.aggregate(norm, perturbed, kind, agg, floor)))
        runs += 1
    if sens.get("alternatives", False):
        for alt in (("minmax", "arithmetic"), ("zscore", "arithmetic"), ("minmax", "geometric")):
            if alt == (kind, agg):
                continue
            add(ranks(units, t.aggregate(t.normalise(alt[0]), weights, alt[0], alt[1], floor)))
            runs += 1
    excluded = [w["code"] for i, w in enumerate(method["indicators"]) if t.constant[i]]
    result = {u: (scores[u], published[u], lo[u], hi[u]) for u in units}
    return result, sorted(unranked), excluded, runs


def main():
    base, year = sys.argv[1].rstrip("/"), sys.argv[2]
    if len(sys.argv) > 3:
        with open(sys.argv[3], encoding="utf-8") as f:
            index = json.load(f)
    else:
        index = fetch("%s/api/v1/stats/index?period=%s" % (base, year))
    table = fetch("%s/api/v1/stats/indicators?period=%s" % (base, year))
    method = index["method"]
    inp = index_input(method, table)
    problems = []
    digest = hashlib.sha256(canonical_inputs(inp).encode("utf-8")).hexdigest()
    if digest != index["inputs_sha256"]:
        problems.append("inputs_sha256: recomputed %s, published %s" % (digest, index["inputs_sha256"]))
    result, unranked, excluded, runs = compute(method, inp)
    published = {e["org_id"]: (e["score"], e["rank"], e["rank_min"], e["rank_max"]) for e in index["institutions"]}
    for org in sorted(set(result) | set(published)):
        if result.get(org) != published.get(org):
            problems.append("%s: recomputed (score, rank, min, max) %s, published %s" % (org, result.get(org), published.get(org)))
    for org, (_, rank, lo, hi) in published.items():
        if not lo <= rank <= hi:
            problems.append("%s: published rank %d outside its range [%d, %d]" % (org, rank, lo, hi))
    pub_unranked = sorted((u["org_id"], u["reason"]) for u in index["unranked"])
    if unranked != pub_unranked:
        problems.append("unranked: recomputed %s, published %s" % (unranked, pub_unranked))
    pub_excluded = [e["code"] for e in index["excluded"]]
    if excluded != pub_excluded:
        problems.append("excluded: recomputed %s, published %s" % (excluded, pub_excluded))
    if runs != index["runs"]:
        problems.append("runs: recomputed %d, published %d" % (runs, index["runs"]))
    if problems:
        print("\n".join(problems))
        sys.exit(1)
    print("ok: %d institutions ranked, %d not, %d rank sets, inputs %s" % (len(result), len(unranked), runs, digest))


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""An independent implementation of docs/bucketing.md, written from the document
alone (Python's `xxhash` package, not the Rust code). It writes the pinned
bucketing vectors, and with --check verifies that the committed vectors still
agree with it, so the document, this script and every runtime cannot drift.

    python3 tools/reference_bucketing.py          # rewrite the vector files
    python3 tools/reference_bucketing.py --check  # exit 1 on any difference
"""
import json
import struct
import sys
from datetime import datetime, timezone
from pathlib import Path

import xxhash

BUCKETS = 100_000
INCLUSION_SEED = 0
VARIANT_SEED = 1
ROOT = Path(__file__).resolve().parent.parent
VECTORS = ROOT / "tests" / "vectors"


def frame(salt: str, value: str) -> bytes:
    s, v = salt.encode("utf-8"), value.encode("utf-8")
    return struct.pack("<I", len(s)) + s + struct.pack("<I", len(v)) + v


def bucket(salt: str, value: str, seed: int) -> int:
    h = xxhash.xxh3_64_intdigest(frame(salt, value), seed=seed)
    return (h * BUCKETS) >> 64


def ts(s: str) -> datetime:
    return datetime.fromisoformat(s.replace("Z", "+00:00")).astimezone(timezone.utc)


def stage_at(stages, at):
    """(index or None, thousandths) of the last stage whose `at` <= at."""
    cur = (None, 0)
    for i, (start, percent) in enumerate(stages):
        if ts(start) <= ts(at):
            cur = (i, round(percent * 1000))
    return cur


def rollout(salt, key, stages, pick, default, at):
    """pick: a variant name, or a list of (variant, weight percent)."""
    index, pct = stage_at(stages, at)
    out = {"stage": index, "percent": pct / 1000}
    if pct == 0:
        return dict(out, variant=default, reason="DEFAULT")
    if bucket(salt, key, INCLUSION_SEED) >= pct:
        return dict(out, variant=default, reason="SPLIT")
    if isinstance(pick, str):
        return dict(out, variant=pick, reason="SPLIT")
    b, upto = bucket(salt, key, VARIANT_SEED), 0
    for name, weight in pick:
        upto += round(weight * 1000)
        if b < upto:
            return dict(out, variant=name, reason="SPLIT")
    raise AssertionError("weights must sum to 100")


def bucket_value(v):
    """The bytes a context value buckets by (docs/bucketing.md), or None."""
    if isinstance(v, bool) or v is None:
        return None
    if isinstance(v, str):
        return v
    if isinstance(v, (int, float)) and float(v).is_integer() and abs(v) <= 2**53:
        return str(int(v))
    return None


def matches(conds, ctx):
    """The two operators the rule-rollout vectors use: `eq` and `in`."""
    for c in conds:
        values = c["values"] if "values" in c else [c["value"]]
        if c["op"] not in ("eq", "in"):
            raise AssertionError("the reference only knows eq and in")
        if c["attr"] not in ctx or ctx[c["attr"]] not in values:
            return False
    return True


def place(ro, salt, ctx, at):
    """(stage, thousandths, variant or "outside", or None when no bucket decides)."""
    stages = [(s["at"], s["percent"]) for s in ro.get("stages", [])]
    if "percent" in ro:
        stages = [("0001-01-01T00:00:00Z", ro["percent"])]
    index, pct = stage_at(stages, at)
    value = bucket_value(ctx.get(ro.get("by", "targetingKey")))
    if pct == 0 or value is None:
        return index, pct, None
    salt = ro.get("salt", salt)
    if bucket(salt, value, INCLUSION_SEED) >= pct:
        return index, pct, "outside"
    if "variant" in ro:
        return index, pct, ro["variant"]
    b, upto = bucket(salt, value, VARIANT_SEED), 0
    for name, weight in ro["weights"].items():
        upto += round(weight * 1000)
        if b < upto:
            return index, pct, name
    raise AssertionError("weights must sum to 100")


def evaluate(key, flag, ctx, at):
    """Rules in order, a rule rollout's outside users going on to the next
    rule, then the flag's rollout, then the default (no targets, rollbacks,
    prerequisites or segments: the vectors that use this have none)."""
    def result(variant, reason, rule=None, stage=None, percent=None):
        return {"value": flag["variants"][variant], "variant": variant, "reason": reason,
                "rule": rule, "stage": stage, "percent": percent}
    for rule in flag.get("rules", []):
        if not matches(rule.get("match", []), ctx):
            continue
        if "serve" in rule:
            return result(rule["serve"], "TARGETING_MATCH", rule["name"])
        index, pct, got = place(rule["rollout"], f"{key}/{rule['name']}", ctx, at)
        if got not in (None, "outside"):
            return result(got, "SPLIT", rule["name"], index, pct / 1000)
    if "rollout" in flag:
        index, pct, got = place(flag["rollout"], key, ctx, at)
        if got is None:
            return result(flag["default"], "DEFAULT", None, index, pct / 1000)
        variant = flag["default"] if got == "outside" else got
        return result(variant, "SPLIT", None, index, pct / 1000)
    return result(flag["default"], "DEFAULT")


def stages(*pairs):
    return [{"at": at, "percent": p} for at, p in pairs]


ANDROID = [{"attr": "platform", "op": "eq", "value": "android"}]
EU = [{"attr": "region", "op": "in", "values": ["eu"]}]
RULE_FLAGS = {
    "rr-android": {
        "type": "boolean",
        "variants": {"on": True, "off": False},
        "default": "off",
        "rules": [{"name": "android", "match": ANDROID, "rollout": {"variant": "on", "stages": stages(
            ("2026-12-01T00:00:00Z", 5), ("2026-12-02T00:00:00Z", 25), ("2026-12-03T00:00:00Z", 100))}}],
    },
    "rr-layered": {
        "type": "string",
        "variants": {"classic": "classic", "grid": "grid-v2", "list": "list-v1"},
        "default": "classic",
        "rules": [
            {"name": "eu first", "match": EU, "rollout": {"weights": {"grid": 50, "list": 50},
                                                          "stages": stages(("2026-12-01T00:00:00Z", 10),
                                                                           ("2026-12-03T00:00:00Z", 100))}},
            {"name": "android", "match": ANDROID, "rollout": {"variant": "list", "percent": 40}},
            {"name": "beta", "match": [{"attr": "beta", "op": "eq", "value": True}], "serve": "grid"},
        ],
        "rollout": {"variant": "grid", "stages": stages(("2026-12-02T00:00:00Z", 20),
                                                        ("2026-12-04T00:00:00Z", 100))},
    },
    "rr-shared": {
        "type": "boolean",
        "variants": {"on": True, "off": False},
        "default": "off",
        "rules": [
            {"name": "android", "match": ANDROID, "rollout": {"variant": "on", "salt": "rr-shared-salt", "percent": 30}},
            {"name": "eu", "match": EU, "rollout": {"variant": "on", "salt": "rr-shared-salt", "percent": 30}},
        ],
    },
    "rr-by-account": {
        "type": "number",
        "variants": {"small": 4, "large": 8},
        "default": "small",
        "rules": [{"name": "eu accounts", "match": EU, "rollout": {"by": "accountId", "variant": "large", "stages": stages(
            ("2026-12-01T00:00:00Z", 50), ("2026-12-02T00:00:00Z", 100))}}],
    },
}


def rule_rollout_vectors():
    users = [f"user-{i}" for i in range(0, 300, 23)]
    contexts = []
    for i, u in enumerate(users):
        contexts.append({"targetingKey": u, "platform": "android"})
        contexts.append({"targetingKey": u, "region": "eu"})
        contexts.append({"targetingKey": u, "region": "eu", "platform": "android", "beta": i % 3 == 0})
        if i % 4 == 0:
            contexts.append({"targetingKey": u, "platform": "ios"})
    contexts += [{"platform": "android"}, {"region": "eu", "targetingKey": 12345},
                 {"region": "eu", "targetingKey": 1.5, "platform": "android"}]
    for n in (0, 7, 12345, -3, 9007199254740992):
        contexts.append({"targetingKey": "someone", "region": "eu", "accountId": n})
    contexts.append({"targetingKey": "someone", "region": "eu", "accountId": "acct-9"})
    contexts.append({"targetingKey": "someone", "region": "eu", "accountId": 2.5})
    times = ["2026-11-30T23:59:59Z", "2026-12-01T00:00:00Z", "2026-12-02T12:00:00Z",
             "2026-12-03T00:00:00Z", "2026-12-04T00:00:00Z"]
    cases = []
    for key, flag in RULE_FLAGS.items():
        for at in times:
            for n, ctx in enumerate(contexts):
                if key == "rr-by-account" and "accountId" not in ctx and n % 4:
                    continue
                expected = evaluate(key, flag, ctx, at)
                cases.append({"name": f"rule rollouts: {key} context {n} at {at}", "flag": key,
                              "context": ctx, "at": at, "expected": expected})
    return {
        "description": "Rule rollouts: each rule's own staged percentage and salt (flag key/rule "
        "name), users outside it going on to the next rule, then the flag's rollout, then the "
        "default. Computed by tools/reference_bucketing.py from docs/bucketing.md, not by the Rust engine.",
        "release": {"schema": 1, "release": {"name": "vectors-rule-rollouts"}, "flags": RULE_FLAGS},
        "cases": cases,
    }


def bucket_vectors():
    pairs = [("ranked-matchmaking", f"user-{i}") for i in range(40)]
    pairs += [("store-layout", str(n)) for n in (0, 1, 42, 12345, 9007199254740992, -7)]
    pairs += [("", ""), ("salt", ""), ("", "value"), ("ab", "c"), ("a", "bc")]
    pairs += [("flag", "ünïcödé-ユーザー"), ("flag", "emoji-🚀"), ("spaces in salt", "user 1")]
    pairs += [("long", "x" * 300), ("y" * 250, "z" * 250)]
    return {
        "description": "Pinned buckets: [0, 100000) for the inclusion hash (seed 0) and the "
        "variant hash (seed 1) of a salt and a value, as docs/bucketing.md defines. "
        "Written by tools/reference_bucketing.py, an implementation independent of the Rust code.",
        "buckets": [
            {
                "salt": s,
                "value": v,
                "inclusion": bucket(s, v, INCLUSION_SEED),
                "variant": bucket(s, v, VARIANT_SEED),
            }
            for s, v in pairs
        ],
    }


RM_STAGES = [("2026-12-01T16:00:00Z", 1), ("2026-12-02T16:00:00Z", 5),
             ("2026-12-03T16:00:00Z", 25), ("2026-12-05T16:00:00Z", 100)]
SL_STAGES = [("2026-12-01T16:00:00Z", 5), ("2026-12-03T16:00:00Z", 100)]
RR_STAGES = [("2026-12-02T16:00:00Z", 5), ("2026-12-04T16:00:00Z", 100)]
SB_STAGES = [("2026-12-01T16:00:00Z", 5), ("2026-12-02T16:00:00Z", 100)]
MT_STAGES = [("2026-12-02T16:00:00Z", 5), ("2026-12-03T16:00:00Z", 50),
             ("2026-12-04T16:00:00Z", 100)]
SL_SPLIT = [("classic", 50), ("grid", 25), ("carousel", 25)]
SL_VALUES = {"classic": "classic", "grid": "grid-v2", "carousel": "carousel-v1"}
SB_VALUES = {"launch": {"title": "Season 0 is live", "theme": "gold"}, "none": {}}


def season0_cases():
    cases = []
    times = ["2026-12-01T15:59:59Z", "2026-12-01T16:00:00Z", "2026-12-02T18:00:00Z",
             "2026-12-03T16:00:00Z", "2026-12-05T16:00:00Z"]
    users = [f"user-{i}" for i in range(0, 400, 7)]
    # Pick users whose results are informative: some inside early stages.
    for at in times:
        early = [u for u in users[12:] if bucket("ranked-matchmaking", u, 0) < 25000][:6]
        for u in users[:12] + early:
            r = rollout("ranked-matchmaking", u, RM_STAGES, "on", "off", at)
            cases.append({
                "name": f"season0 ranked-matchmaking {u} at {at}",
                "flag": "ranked-matchmaking",
                "context": {"targetingKey": u},
                "at": at,
                "expected": {"value": r["variant"] == "on", **r},
            })
    for at in ["2026-12-01T18:00:00Z", "2026-12-03T17:00:00Z"]:
        for acct in [f"acct-{i}" for i in range(0, 60, 5)] + [12345, 777]:
            r = rollout("store-layout", str(acct), SL_STAGES, SL_SPLIT, "classic", at)
            cases.append({
                "name": f"season0 store-layout account {acct!r} at {at}",
                "flag": "store-layout",
                "context": {"targetingKey": "someone", "accountId": acct},
                "at": at,
                "expected": {"value": SL_VALUES[r["variant"]], **r},
            })
    for u in users[:10]:
        at = "2026-12-01T20:00:00Z"
        r = rollout("season-banner", u, SB_STAGES, "launch", "none", at)
        cases.append({
            "name": f"season0 season-banner {u} at {at}",
            "flag": "season-banner",
            "context": {"targetingKey": u},
            "at": at,
            "expected": {"value": SB_VALUES[r["variant"]], **r},
        })
    mt_salt = "match-timeout-seconds/short queue in high-population regions"
    for at in ["2026-12-02T15:59:59Z", "2026-12-02T16:00:00Z", "2026-12-03T20:00:00Z"]:
        for country in ["DE", "US", "JP", "FR"]:
            for u in users[:8]:
                if country == "FR" and u != users[0]:
                    continue
                index, pct = stage_at(MT_STAGES, at)
                inside = country in ("US", "DE", "JP") and pct > 0 and bucket(mt_salt, u, 0) < pct
                expected = ({"value": 45, "variant": "short", "reason": "SPLIT",
                             "rule": "short queue in high-population regions",
                             "stage": index, "percent": pct / 1000}
                            if inside else
                            {"value": 90, "variant": "normal", "reason": "DEFAULT", "rule": None,
                             "stage": None, "percent": None})
                cases.append({
                    "name": f"season0 match-timeout-seconds {u} in {country} at {at}",
                    "flag": "match-timeout-seconds",
                    "context": {"targetingKey": u, "country": country},
                    "at": at,
                    "expected": expected,
                })
    for u in users[:20]:
        at = "2026-12-04T18:00:00Z"
        parent = rollout("ranked-matchmaking", u, RM_STAGES, "on", "off", at)
        if parent["variant"] != "on":
            expected = {"value": False, "variant": "off", "reason": "PREREQUISITE_FAILED",
                        "stage": None, "percent": None}
        else:
            r = rollout("ranked-rewards", u, RR_STAGES, "on", "off", at)
            expected = {"value": r["variant"] == "on", **r}
        cases.append({
            "name": f"season0 ranked-rewards {u} at {at}",
            "flag": "ranked-rewards",
            "context": {"targetingKey": u},
            "at": at,
            "expected": expected,
        })
    return {
        "description": "Season0 in production, bucket-decided cases computed by "
        "tools/reference_bucketing.py from docs/bucketing.md (not by the Rust engine).",
        "release_file": "examples/season0.toml",
        "environment": "production",
        "cases": cases,
    }


def main():
    outputs = {
        VECTORS / "bucketing.json": bucket_vectors(),
        VECTORS / "rollouts-season0.json": season0_cases(),
        VECTORS / "rule-rollouts.json": rule_rollout_vectors(),
    }
    check = "--check" in sys.argv
    bad = 0
    for path, data in outputs.items():
        text = json.dumps(data, indent=2, ensure_ascii=False) + "\n"
        if check:
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                print(f"{path.relative_to(ROOT)}: differs from the reference implementation")
                bad += 1
        else:
            path.write_text(text, encoding="utf-8")
    if check:
        print(f"reference bucketing: {len(outputs) - bad} passed, {bad} failed")
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Render the raw results of bench/run_gibbs_bench.sh as a Markdown report.

    python3 bench/render_gibbs.py RAW [--load-before L] [--load-after L]
        [--build DIR] [--command CMD] [--env SETTINGS] > report.md

RAW holds one line per case: LABEL <tab> EXIT-STATUS <tab> COMMAND <tab> JSON
(the JSON line printed by bench/jags/run_jags.R or bench/ref/gmm_gibbs).
Python 3 standard library only.
"""
import argparse
import datetime
import json
import os
import platform
import re
import subprocess


def sh(cmd):
    try:
        return subprocess.run(cmd, shell=True, capture_output=True, text=True,
                              timeout=30).stdout.strip()
    except Exception:  # noqa: BLE001 - a report must not fail on a probe
        return ""


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def mem_total():
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemTotal"):
                    kb = int(line.split()[1])
                    return "%.1f GiB" % (kb / 1024 / 1024)
    except OSError:
        pass
    return "unknown"


def g(v, digits=3):
    """A number with `digits` significant digits (no exponent for usual sizes)."""
    if v is None:
        return "—"
    if isinstance(v, str):
        return v
    if v != v:
        return "NaN"
    if v == 0:
        return "0"
    a = abs(v)
    if a >= 10 ** digits:
        return "{:,.0f}".format(v)
    if a >= 1e-4:
        s = "%.*g" % (digits, v)
        if "e" in s:
            s = "%f" % v
        return s
    return "%.*e" % (digits - 1, v)


def group_min(d, prefix):
    vals = [v for k, v in d.items() if re.match(re.escape(prefix) + r"(\.|$)", k)]
    return min(vals) if vals else None


def load(path):
    rows = []
    with open(path) as f:
        for line in f:
            line = line.rstrip("\n")
            if not line:
                continue
            label, status, cmd, js = line.split("\t", 3)
            try:
                res = json.loads(js)
            except json.JSONDecodeError:
                res = {"failed": True}
            rows.append({"label": label, "status": int(status), "cmd": cmd, "r": res})
    return rows


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("raw")
    ap.add_argument("--load-before", default="")
    ap.add_argument("--load-after", default="")
    ap.add_argument("--build", default="build-bench")
    ap.add_argument("--command", default="bench/run_gibbs_bench.sh")
    ap.add_argument("--env", default="")
    a = ap.parse_args()
    rows = load(a.raw)

    out = []
    w = out.append
    today = datetime.date.today().isoformat()
    w("# Gibbs benchmarks, %s" % today)
    w("")
    w("lvmc, JAGS and the hand-written C reference (`bench/ref/gmm_gibbs.c`) run side "
      "by side on the same data, one after the other on this machine. "
      "Benchmarks are not tests: compare the ratios, not the absolute numbers, "
      "and only between systems run in the same report. See `bench/README.md`.")
    w("")
    w("## Machine")
    w("")
    jags_ver = next((r["r"].get("jags_version") for r in rows
                     if r["r"].get("system") == "jags" and r["r"].get("jags_version")), "?")
    cc = sh("cc --version | head -n 1")
    build_type = sh("meson introspect %s --buildoptions 2>/dev/null | python3 -c "
                    "\"import json,sys; print([o['value'] for o in json.load(sys.stdin) "
                    "if o['name']=='buildtype'][0])\"" % a.build) or "?"
    commit = sh("git rev-parse --short HEAD 2>/dev/null") or "?"
    dirty = sh("git status --porcelain --untracked-files=no 2>/dev/null")
    w("| what | value |")
    w("| --- | --- |")
    w("| CPU | %s |" % cpu_model())
    w("| nproc | %s |" % (os.cpu_count() or "?"))
    w("| memory | %s |" % mem_total())
    w("| kernel | %s |" % platform.release())
    w("| OS | %s |" % (sh(". /etc/os-release && echo \"$PRETTY_NAME\"") or "?"))
    w("| load average (1, 5, 15 min) before / after | %s / %s |" % (a.load_before, a.load_after))
    w("| JAGS | %s (%s) |" % (jags_ver, sh("Rscript -e 'cat(R.version.string)' 2>/dev/null")))
    w("| C compiler | %s, meson buildtype `%s` (%s) |" % (cc, build_type, a.build))
    w("| lvmc commit | %s%s |" % (commit, " (with uncommitted changes)" if dirty else ""))
    w("| settings | `%s` |" % a.env)
    w("")
    w("Timing is wall clock on one thread; the chains of a run go one after "
      "the other, so *s / 1000 sweeps* is per chain. *ESS/s* is the ESS (bulk, "
      "`posterior::ess_bulk` for JAGS, `lvm_diag_ess_bulk` — the same "
      "definition — for the C reference) of all chains' draws divided by the "
      "total sampling time. Mixture labels are not identified: gmm draws are "
      "relabelled by the order of mu before ESS and means; hmm states by "
      "their mean emitted symbol.")
    w("")

    # ---- gmm ---------------------------------------------------------------
    gmm = [r for r in rows if r["r"].get("model") == "gmm"]
    ref_by_n = {r["r"]["N"]: r for r in gmm
                if r["r"].get("system") == "c_ref" and r["r"].get("zdraw") == "inline"}
    jags_by_n = {r["r"]["N"]: r for r in gmm if r["r"].get("system") == "jags"}
    j0 = next(iter(jags_by_n.values()))["r"] if jags_by_n else {}
    w("## gmm (examples/gmm.lvm, K = 3)")
    w("")
    w("Data: `bench/data/gmm_N*.json` (weights .5 .3 .2, means −2 0 3, sds "
      ".5 .8 1). JAGS samplers: %s." % ", ".join(
          "%s × %s" % (k, "N" if v == j0["N"] else v) for k, v in sorted(
              j0.get("samplers", {}).items()))
      if jags_by_n else "Data: `bench/data/gmm_N*.json`.")
    w("")
    w("| system | N | chains × (warmup + draws) | compile s | s / 1000 sweeps | "
      "ns / data point / sweep | min ESS/s | ESS/s mu (min) | posterior mean of sorted mu | max R-hat |")
    w("| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | --- | ---: |")
    for r in sorted(gmm, key=lambda r: (r["r"].get("N", 0), r["r"].get("system", ""),
                                        r["r"].get("zdraw", ""))):
        x = r["r"]
        if x.get("failed"):
            w("| %s | | | | | | | | FAILED (exit %d) | |" % (r["label"], r["status"]))
            continue
        sysname = "JAGS" if x["system"] == "jags" else "**lvmc**" if x["system"] == "lvmc" else (
            "C reference" + (" (z via lvm_categorical_logit_draw)"
                             if x.get("zdraw") == "runtime" else ""))
        spd = x["sec_per_1000_sweeps"] / 1000.0
        mu_means = ", ".join(g(x["mean"]["mu.%d" % (k + 1)], 4)
                             for k in range(3) if "mu.%d" % (k + 1) in x["mean"])
        rh = max(x["rhat"].values()) if x.get("rhat") else None
        check = ""
        if x.get("check"):
            check = " (check %s)" % ("ok" if x["check"]["pass"] else "FAILED")
        w("| %s | %s | %d × (%d + %d) | %s | %s | %s | %s | %s | %s%s | %s |" % (
            sysname, "{:,}".format(x["N"]), x["chains"], x["warmup"], x["iter"],
            g(x.get("compile_s")), g(x["sec_per_1000_sweeps"]),
            g(1e9 * spd / x["N"]), g(x["min_ess_per_sec"]),
            g(group_min(x["ess_per_sec"], "mu")), mu_means, check, g(rh, 4)))
    w("")
    w("Ratios at the same N (JAGS ÷ C reference for time, C reference ÷ JAGS for ESS/s):")
    w("")
    w("| N | s / 1000 sweeps | min ESS/s | compile + 1000 sweeps |")
    w("| ---: | ---: | ---: | ---: |")
    for n in sorted(set(ref_by_n) & set(jags_by_n)):
        j, c = jags_by_n[n]["r"], ref_by_n[n]["r"]
        if j.get("failed") or c.get("failed"):
            continue
        w("| %s | %s× | %s× | %s× |" % (
            "{:,}".format(n), g(j["sec_per_1000_sweeps"] / c["sec_per_1000_sweeps"]),
            g(c["min_ess_per_sec"] / j["min_ess_per_sec"]),
            g((j["compile_s"] + j["sec_per_1000_sweeps"]) / c["sec_per_1000_sweeps"])))
    w("")

    lv_by_n = {r["r"]["N"]: r for r in gmm if r["r"].get("system") == "lvmc"}
    if lv_by_n:
        w("lvmc against JAGS and the hand-written C at the same N (time per sweep: "
          "JAGS ÷ lvmc and lvmc ÷ C; ESS/s: lvmc ÷ JAGS and lvmc ÷ C):")
        w("")
        w("| N | sweeps: lvmc faster than JAGS | sweeps: lvmc slower than C | ESS/s vs JAGS | ESS/s vs C | lvmc compile s |")
        w("| ---: | ---: | ---: | ---: | ---: | ---: |")
        for n in sorted(lv_by_n):
            lv = lv_by_n[n]["r"]
            if lv.get("failed"):
                continue
            j = jags_by_n.get(n, {}).get("r", {}) if n in jags_by_n else {}
            c = ref_by_n.get(n, {}).get("r", {}) if n in ref_by_n else {}
            def ratio(a, b):
                return g(a / b) + "×" if a and b else "—"
            w("| %s | %s | %s | %s | %s | %s |" % (
                "{:,}".format(n),
                ratio(j.get("sec_per_1000_sweeps"), lv["sec_per_1000_sweeps"]),
                ratio(lv["sec_per_1000_sweeps"], c.get("sec_per_1000_sweeps")),
                ratio(lv.get("min_ess_per_sec"), j.get("min_ess_per_sec")),
                ratio(lv.get("min_ess_per_sec"), c.get("min_ess_per_sec")),
                g(lv.get("compile_s"))))
        w("")

    # ---- the other models (JAGS only) ---------------------------------------
    others = [r for r in rows if r["r"].get("model") not in ("gmm", None) or
              (r["r"].get("failed") and not r["label"].startswith(("ref gmm", "jags gmm")))]
    w("## pumps, eight schools, hmm")
    w("")
    w("| system | model | data | size | chains × (warmup + draws) | compile s | s / 1000 sweeps | "
      "µs / data point / sweep | min ESS/s | max R-hat | JAGS samplers |")
    w("| --- | --- | --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | --- |")
    others.sort(key=lambda r: (r["r"].get("model", ""), r["r"].get("N", 0), r["r"].get("system", "")))
    for r in others:
        x = r["r"]
        if x.get("failed"):
            w("| %s | | | | | | | | | | FAILED (exit %d) |" % (r["label"], r["status"]))
            continue
        rh = max(x["rhat"].values()) if x.get("rhat") else None
        samplers = ", ".join("%s × %d" % (k, v) for k, v in sorted(x.get("samplers", {}).items()))
        w("| %s | %s | `%s` | %s | %d × (%d + %d) | %s | %s | %s | %s | %s | %s |" % (
            "**lvmc**" if x.get("system") == "lvmc" else "JAGS",
            x["model"], os.path.basename(x.get("data", "?")), "{:,}".format(x["N"]), x["chains"],
            x["warmup"], x["iter"], g(x["compile_s"]), g(x["sec_per_1000_sweeps"]),
            g(x.get("us_per_datum_per_sweep")), g(x["min_ess_per_sec"]), g(rh, 4), samplers))
    w("")
    w("Size: N for pumps, J for eight schools, T for the hmm.")
    w("")

    w("lvmc's ESS/s includes writing each kept draw to its CSV file (about "
      "9 µs per draw for these few columns), which dominates for the tiny "
      "models (eight schools, pumps); s / 1000 sweeps is measured on warmup "
      "sweeps, which write nothing, for every system.")
    w("")

    # ---- commands ---------------------------------------------------------------
    w("## Commands")
    w("")
    w("```")
    w(a.command)
    w("```")
    w("")
    w("which ran (draws went to a temporary directory):")
    w("")
    w("```")
    for r in rows:
        w(r["cmd"] + ("" if r["status"] == 0 else "    # exit status %d" % r["status"]))
    w("```")
    w("")
    w("Raw results (one JSON line per case, with ESS, means and R-hat of every "
      "parameter): `%s`." % os.path.relpath(a.raw))
    print("\n".join(out))


if __name__ == "__main__":
    main()

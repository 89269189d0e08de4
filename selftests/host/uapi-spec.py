#!/usr/bin/python3
"""Check that uapi/nfpunch.yaml and uapi/linux/nfpunch.h describe the same
family: names, version, every command and attribute with the same value.

Prints KTAP. Values in the header are read by compiling a probe against it,
so what is checked is what the compiler sees."""
import os
import re
import subprocess
import sys
import tempfile

import yaml

repo = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
spec = yaml.safe_load(open(os.path.join(repo, "uapi/nfpunch.yaml")))
header = open(os.path.join(repo, "uapi/linux/nfpunch.h")).read()


def c_name(s):
    return s.upper().replace("-", "_")


# Expected constant -> value, from the spec.
expected = {"NFPUNCH_GENL_VERSION": spec["version"]}
ops = spec["operations"]
for i, op in enumerate(ops["list"], start=1):
    expected[c_name(ops["name-prefix"] + op["name"])] = i
sets = {a["name"]: a for a in spec["attribute-sets"]}
subset_errors = []
for aset in spec["attribute-sets"]:
    if "subset-of" in aset:
        # Same attributes (and values) as its parent; only their use differs.
        names = {a["name"] for a in sets[aset["subset-of"]]["attributes"]}
        subset_errors += [aset["name"] + "." + a["name"] for a in aset["attributes"]
                          if a["name"] not in names]
        continue
    for i, attr in enumerate(aset["attributes"], start=1):
        expected[c_name(aset["name-prefix"] + attr["name"])] = i
    expected[c_name(aset["name-prefix"] + "max")] = len(aset["attributes"])
expected["NFPUNCH_CMD_MAX"] = len(ops["list"])
for d in spec.get("definitions", []):
    prefix = d.get("name-prefix", spec["name"] + "-" + d["name"] + "-")
    if d["type"] == "const":
        expected[c_name(spec["name"] + "-" + d["name"])] = d["value"]
        continue
    for i, entry in enumerate(d["entries"]):
        name = entry["name"] if isinstance(entry, dict) else entry
        if d["type"] == "flags":
            value = 1 << i
        else:
            value = d.get("value-start", 0) + i
        expected[c_name(prefix + name)] = value
    if d.get("render-max"):
        expected[c_name(prefix + "max")] = d.get("value-start", 0) + len(d["entries"]) - 1

# Every enum constant the header defines must be in the spec too.
declared = set(re.findall(r"^\s*(NFPUNCH_[A-Z0-9_]+)\s*(?:=[^,]*)?,", header, re.M))
declared = {d for d in declared if not d.startswith("__") and not d.endswith("_UNSPEC")}

probe = "#include <stdio.h>\n#include <linux/nfpunch.h>\nint main(void){\n"
for name in sorted(expected):
    probe += f'printf("{name} %d\\n", (int){name});\n'
probe += 'printf("NAME %s\\n", NFPUNCH_GENL_NAME);\n'
probe += 'printf("MCGRP %s\\n", NFPUNCH_MCGRP_EVENTS);\nreturn 0;}\n'

n = 0
failed = 0


def result(ok, desc, diag=""):
    global n, failed
    n += 1
    if not ok:
        failed += 1
    print(f"{'ok' if ok else 'not ok'} {n} {desc}")
    for line in diag.splitlines() if not ok else []:
        print(f"# {line}")


print("KTAP version 1")
with tempfile.TemporaryDirectory() as tmp:
    src = os.path.join(tmp, "probe.c")
    exe = os.path.join(tmp, "probe")
    open(src, "w").write(probe)
    cc = subprocess.run(["cc", "-I", os.path.join(repo, "uapi"), "-o", exe, src],
                        capture_output=True, text=True)
    result(cc.returncode == 0, "every constant the spec names exists in the header",
           cc.stderr)
    actual = {}
    if cc.returncode == 0:
        out = subprocess.run([exe], capture_output=True, text=True).stdout
        for line in out.splitlines():
            k, v = line.split(" ", 1)
            actual[k] = v

result(actual.get("NAME") == spec["name"], "family name agrees",
       f"spec {spec['name']}, header {actual.get('NAME')}")
groups = [g["name"] for g in spec.get("mcast-groups", {}).get("list", [])]
result(groups == [actual.get("MCGRP")], "multicast group name agrees",
       f"spec {groups}, header {actual.get('MCGRP')}")
wrong = [f"{k}: spec {v}, header {actual.get(k)}" for k, v in sorted(expected.items())
         if actual.get(k) != str(v)]
result(not wrong, "every command and attribute has the same value", "\n".join(wrong))
result(not subset_errors, "attribute subsets name only their parent's attributes",
       "\n".join(subset_errors))
extra = sorted(declared - set(expected))
result(not extra, "the header declares nothing the spec lacks", "\n".join(extra))
print(f"1..{n}")
sys.exit(1 if failed else 0)

#!/usr/bin/python3
"""fact_literals.py FACTS.DEF CAUSES.DEF FILE...: no fact key spelled as a string literal.
fact_literals.py --self-test FACTS.DEF CAUSES.DEF: what it counts, on samples.

The facts' keys live in include/vpndoctor/facts.def; code reads and writes
them through its VDF_ constants, so a key renamed there is renamed everywhere
or fails to build. This fails, naming file and line, when a literal that is a
fact key comes back in one of FILE:

 - as the key of a JSON object accessor: cJSON's ...Object... functions, the
   probes' pu_j*/jstr/jport/probe_run_section and .section, the rules'
   obj/arr/str/nstr/num/num_time/boolean/is_true/is_false/section, the
   profile check's add_str/add_num/add_bool: any fact key there;
 - anywhere else, a literal that is a fact key and not also one of the values
   facts.def allows (state "connected", proto "udp", kind "tun" are values)
   nor a cause id (causes.def: "cert-expired" is also a log event's key): a
   key kept in a table of names, or passed through a variable.

Not counted: comments; the evidence keys of a finding (ev, ev_num, ev_field
in lib/rules.c: a finding's output, not facts) and the names of the values
of its message (VD_TEXT("file", ...), text_or, id_arg: vpndoctor/message.h); a probe's .name (its name
for Check and vpndoctor.conf, which is often its section's); the arguments
of functions of other vocabularies (OpenVPN directives: vd_ovpn_config_get;
D-Bus, evdns); and a line marked "/* not a fact */" (a finding's own keys,
which share names with facts).
"""
import os
import re
import sys

ACCESSORS = {
    # name pattern: index of the key argument
    r"cJSON_\w*Object\w*": 1,
    r"pu_jstr|pu_jstr_set|pu_jobj|jstr|jport|probe_run_section": 1,
    r"obj|arr|str|nstr|num|num_time|boolean|is_true|is_false|section": 1,
    r"add_str|add_num|add_bool": 2,
}
EVIDENCE = re.compile(r"\b(ev|ev_num|ev_field)\s*\(\s*\w+\s*,\s*$")
# the name of a value in a finding's message (vpndoctor/message.h): "{file}"
MESSAGE = re.compile(r"\b(VD_TEXT|VD_NUM|VD_TIME|VD_PHRASE|VD_MSG|text_or|count_arg|id_arg)\s*\(\s*$")
# calls whose literal arguments belong to another vocabulary
OTHER = re.compile(r"\b(vd_ovpn_config_get|arg0|has|load_ref|certs_of|sd_bus_\w+|evdns_\w+)\s*\(")


def load_causes(path):
    ids = set(re.findall(r'^VD_CAUSE\(\w+,\s*"([^"]*)"\)', open(path).read(), flags=re.M))
    if len(ids) < 20:
        sys.exit("fact_literals: %s: only %d causes read, the pattern is out of date" % (path, len(ids)))
    return ids


def load_def(path):
    text = re.sub(r"/\*.*?\*/", "", open(path).read(), flags=re.S)
    keys, values = set(), set()
    for m in re.finditer(r'VD_FACT\(\w+,\s*\w+,\s*"([^"]*)",\s*\w+,\s*\w+,\s*\w+,\s*\w+,\s*"[^"]*",\s*"([^"]*)"', text):
        keys.add(m.group(1))
        if m.group(2):
            values.update(m.group(2).split("|"))
    if len(keys) < 100:
        sys.exit("fact_literals: %s: only %d keys read, the pattern is out of date" % (path, len(keys)))
    return keys, values


def strip_comments(src):
    """Comments blanked (newlines kept, so line numbers hold), strings and
    character constants left as they are."""
    out, i, n = [], 0, len(src)
    while i < n:
        c = src[i]
        if src.startswith("/*", i):
            j = src.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append(re.sub(r"[^\n]", " ", src[i:j]))
            i = j
        elif src.startswith("//", i):
            j = src.find("\n", i)
            j = n if j < 0 else j
            out.append(" " * (j - i))
            i = j
        elif c in "\"'":
            j = i + 1
            while j < n and src[j] != c:
                j += 2 if src[j] == "\\" else 1
            out.append(src[i:j + 1])
            i = j + 1
        else:
            out.append(c)
            i += 1
    return "".join(out)


def literals(src):
    """(position of the text, text) of each string literal of src (comments
    gone); character constants are skipped, so '"' starts nothing."""
    i, n = 0, len(src)
    while i < n:
        c = src[i]
        if c in "\"'":
            j = i + 1
            while j < n and src[j] != c:
                j += 2 if src[j] == "\\" else 1
            if c == '"':
                yield i + 1, src[i + 1:j]
            i = j + 1
        else:
            i += 1


def args_of(src, open_paren):
    """(start, end) of each top-level argument of the call whose '(' is at open_paren."""
    depth, start, i, args = 0, open_paren + 1, open_paren, []
    while i < len(src):
        c = src[i]
        if c in "\"'":
            j = i + 1
            while j < len(src) and src[j] != c:
                j += 2 if src[j] == "\\" else 1
            i = j + 1
            continue
        if c in "([{":
            depth += 1
        elif c in ")]}":
            depth -= 1
            if depth == 0:
                args.append((start, i))
                return args
        elif c == "," and depth == 1:
            args.append((start, i))
            start = i + 1
        i += 1
    return args


def check(path, keys, values):
    raw = open(path).read()
    src = strip_comments(raw)
    lines = raw.split("\n")
    bad = {}

    def line_of(pos):
        return src.count("\n", 0, pos) + 1

    def report(pos, key, why):
        ln = line_of(pos)
        if "/* not a fact */" in lines[ln - 1]:
            return
        bad.setdefault((ln, key), why)

    other = []
    for m in OTHER.finditer(src):
        args = args_of(src, m.end() - 1)
        if args:
            other.append((args[0][0], args[-1][1]))
    for m in re.finditer(r'\.name\s*=\s*"[^"]*"', src):
        other.append((m.start(), m.end()))

    accessor_re = re.compile(r"\b(" + "|".join("(?:%s)" % p for p in ACCESSORS) + r")\s*\(")
    for m in accessor_re.finditer(src):
        name = m.group(1)
        idx = next(v for p, v in ACCESSORS.items() if re.fullmatch(p, name))
        args = args_of(src, m.end() - 1)
        if len(args) <= idx:
            continue
        a = src[args[idx][0]:args[idx][1]].strip()
        lit = re.fullmatch(r'"([^"\\]*)"', a)
        if lit and lit.group(1) in keys:
            report(args[idx][0], lit.group(1), "the key of %s()" % name)
    for m in re.finditer(r'\.section\s*=\s*"([^"]*)"', src):
        if m.group(1) in keys:
            report(m.start(1), m.group(1), "a probe's section")
    for pos, k in literals(src):
        if k not in keys or k in values or any(a <= pos < b for a, b in other):
            continue
        if EVIDENCE.search(src[max(0, pos - 81):pos - 1]) or MESSAGE.search(src[max(0, pos - 81):pos - 1]):
            continue
        report(pos, k, "a fact key")
    return ["%s:%d: \"%s\" (%s): use its VDF_ constant" % (path, ln, k, why) for (ln, k), why in sorted(bad.items())]


SELF_TEST = [
    # (a line of C, is it a fact key spelled out?)
    ('cJSON_AddStringToObject(sec, "state", x);', True),
    ('cJSON_AddNumberToObject(o,\n\t"rtt_avg_ms", v);', True),
    ('static const char *const f[] = {"rtt_avg_ms", "dropped_before_push"};', True),
    ('const char *t = pu_jstr(routes, "tun_dev");', True),
    ('\t.section = "ping",', True),
    ('\t.name = "ping",', False),
    ('if (strcmp(s, "connected") == 0 || strcmp(p, "udp") == 0)', False),
    ('ev(o, "loss_pct", "%g", x);', False),
    ('ev_field(o, "rtt_avg_ms", path, VDF_SAMPLE_RTT_AVG_MS);', False),
    ('fire(o, VD_SEV_ERROR, N_("{file} line {line}"), VD_TEXT("file", f), id_arg("line", l, b, 8));', False),
    ('o = vd_ovpn_config_get(cfg, "cipher");', False),
    ('x = 1; /* "state" */ // "pid"', False),
    ('if (str(f, "severity")) /* not a fact */', False),
    ('profile_problems(c, "cert-expired", o);', False),
    ('log_info("probe %s: no state", name);', False),
    ('char c = \'"\'; const char *s = "pid";', True),
]


def self_test(keys, values):
    import tempfile
    fails = 0
    for code, want in SELF_TEST:
        with tempfile.NamedTemporaryFile("w", suffix=".c", delete=False) as f:
            f.write(code + "\n")
        got = bool(check(f.name, keys, values))
        os.unlink(f.name)
        if got != want:
            print("FAIL: %r: %s" % (code, "not found" if want else "taken for a fact key"))
            fails += 1
    print("fact_literals: self-test, %d of %d right" % (len(SELF_TEST) - fails, len(SELF_TEST)))
    return fails == 0


def main():
    if len(sys.argv) == 4 and sys.argv[1] == "--self-test":
        keys, values = load_def(sys.argv[2])
        values |= load_causes(sys.argv[3])
        sys.exit(0 if self_test(keys, values) else 1)
    if len(sys.argv) < 4:
        sys.exit("usage: fact_literals.py FACTS.DEF CAUSES.DEF FILE...")
    keys, values = load_def(sys.argv[1])
    values |= load_causes(sys.argv[2])
    found = []
    for f in sys.argv[3:]:
        found += check(f, keys, values)
    for line in found:
        print(line)
    print("fact_literals: %d file(s), %d fact key(s) spelled out" % (len(sys.argv) - 3, len(found)))
    sys.exit(1 if found else 0)


if __name__ == "__main__":
    main()

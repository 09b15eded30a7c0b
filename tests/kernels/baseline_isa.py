#!/usr/bin/env python3
"""baseline_isa.py OBJDUMP LIBRARY [LEVEL...]: the runtime library runs on any x86-64.

Disassembles every member of the static library and fails if a member that is not one of the
kernels' builds for a higher level (those define functions named *_avx2 or *_avx512, picked at
run time only on a CPU that has them; runtime/cpu/isa.c) holds an instruction beyond the x86-64
baseline (SSE2): any AVX or AVX-512 instruction (a v-prefixed mnemonic, or a ymm, zmm or mask
register), or one of the common SSSE3, SSE4, POPCNT, LZCNT, BMI and MOVBE instructions. Exit 77
(skipped) when the library is not for x86-64 or LEVEL (the builds of the kernels CMake made) is
native: built for this CPU only (HETC_NATIVE).
"""
import re
import subprocess
import sys

BEYOND = {
    "pshufb", "palignr", "pabsb", "pabsw", "pabsd", "phaddd", "pmaddubsw", "pmulhrsw",
    "roundss", "roundsd", "roundps", "roundpd", "blendps", "blendpd", "blendvps", "blendvpd",
    "pblendvb", "pblendw", "ptest", "pmulld", "pminsd", "pmaxsd", "pminud", "pmaxud",
    "pminsb", "pmaxsb", "pminuw", "pmaxuw", "insertps", "extractps", "pextrd", "pextrq",
    "pinsrb", "pinsrd", "pinsrq", "pmovsxbw", "pmovzxbw", "pmovsxwd", "pmovzxwd", "pmovsxdq",
    "pmovzxdq", "pcmpeqq", "pcmpgtq", "packusdw", "dpps", "dppd", "crc32", "popcnt", "lzcnt",
    "andn", "bextr", "blsi", "blsr", "blsmsk", "bzhi", "shlx", "shrx", "sarx", "rorx", "pdep",
    "pext", "mulx", "movbe",
}
REG = re.compile(r"%(ymm|zmm)\d+|%k[1-7]\b")


def main():
    objdump, lib, levels = sys.argv[1], sys.argv[2], sys.argv[3:]
    if "native" in levels:
        print("built for this CPU only (HETC_NATIVE): skipped")
        return 77
    text = subprocess.run([objdump, "-d", "--no-show-raw-insn", lib], check=True,
                          capture_output=True, text=True).stdout
    if "elf64-x86-64" not in text:
        print("not an x86-64 library: skipped")
        return 77
    members = re.split(r"\n(?=\S+:\s+file format )", text)[1:]
    bad, checked = [], 0
    for m in members:
        name = m.split(":", 1)[0]
        if re.search(r"<(cpu|sg)_\w+_(avx2|avx512)>:", m):
            continue
        checked += 1
        func = "?"
        for line in m.splitlines():
            h = re.match(r"[0-9a-f]+ <(.+)>:$", line)
            if h:
                func = h.group(1)
                continue
            parts = line.split("\t")
            if len(parts) < 2 or not parts[1].strip():
                continue
            insn = parts[1].strip()
            mnem = insn.split()[0]
            if mnem in BEYOND or (mnem.startswith("v") and mnem not in ("verr", "verw")) \
                    or REG.search(insn):
                bad.append("%s: %s: %s" % (name, func, insn))
    for b in bad[:20]:
        print("beyond the x86-64 baseline:", b)
    print("%d members checked, %d instructions beyond the baseline" % (checked, len(bad)))
    return 1 if bad or checked == 0 else 0


if __name__ == "__main__":
    sys.exit(main())

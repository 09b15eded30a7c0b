"""opencl_probe.py: whether this machine has an OpenCL device, asked of the ICD loader itself
(libOpenCL through ctypes), so that scripts that run gpu plans can skip where there is none.

skip_without_opencl(strategy): for strategy "gpu" with no device, prints why and exits 77 (a
skip for ctest), unless HETC_REQUIRE_OPENCL=1, where it exits 1. Other strategies pass.
"""
import ctypes
import ctypes.util
import os
import sys


def opencl_devices():
    """(number of OpenCL devices over all platforms, reason when 0)"""
    name = ctypes.util.find_library("OpenCL") or "libOpenCL.so.1"
    try:
        cl = ctypes.CDLL(name)
    except OSError as e:
        return 0, "no OpenCL ICD loader (%s)" % e
    n = ctypes.c_uint(0)
    err = cl.clGetPlatformIDs(0, None, ctypes.byref(n))
    if err != 0 or n.value == 0:
        return 0, "clGetPlatformIDs found no platform (error %d)" % err
    plats = (ctypes.c_void_p * n.value)()
    cl.clGetPlatformIDs(n.value, plats, None)
    total = 0
    for p in plats:
        k = ctypes.c_uint(0)
        if cl.clGetDeviceIDs(ctypes.c_void_p(p), ctypes.c_ulonglong(0xFFFFFFFF), 0, None,
                             ctypes.byref(k)) == 0:
            total += k.value
    return total, "" if total else "no OpenCL device on %d platform(s)" % n.value


def skip_without_opencl(strategy):
    if strategy != "gpu":
        return
    n, why = opencl_devices()
    if n:
        return
    if os.environ.get("HETC_REQUIRE_OPENCL") == "1":
        print("FAIL: %s, but HETC_REQUIRE_OPENCL=1" % why)
        sys.exit(1)
    print("skipped: strategy gpu needs an OpenCL device: %s" % why)
    sys.exit(77)

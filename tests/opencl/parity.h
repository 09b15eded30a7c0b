/*
 * parity.h: the OpenCL parity tests' harness. An op runs on the CPU (cpu_kernel[op], the
 * reference, itself tested against the ONNX spec) and on the OpenCL device (ocl_op[op]) on the
 * same seeded inputs, and the outputs must agree: integer and bool outputs exactly, float ones as
 * par_same_floats says. All device tensors of a check share one buffer, each at its own offset, a
 * multiple of 8 bytes but not of 64, so that every op honours OclTensor.off.
 *
 * Test programs link the runtime whole (tests/CMakeLists.txt): the kernel tables name their
 * kernels weakly, and a static link would otherwise leave out every kernel no one calls.
 *
 * A test program calls par_open first: with no OpenCL device it exits 77 (ctest: skipped),
 * unless HETC_REQUIRE_OPENCL=1, where that is a failure.
 */
#pragma once

#include "../kernels/ktest.h"
#include "runtime/opencl/ops.h"

static RtCtx *par_ctx;
static OclDev *par_dev;

/* Opens the device named by HETC_CL_DEVICE (default: the first GPU, else the first device). */
static inline void
par_open(void)
{
    par_ctx = rt_ctx_new(1);
    const char *spec = getenv("HETC_CL_DEVICE");
    if (!par_ctx || ocl_open(par_ctx, spec ? spec : "", &par_dev) != RT_OK) {
        const char *req = getenv("HETC_REQUIRE_OPENCL");
        int required = req && strcmp(req, "1") == 0;
        fprintf(stderr, "no OpenCL device (%s)%s\n", par_ctx ? rt_ctx_error(par_ctx) : "no memory",
                required ? ", but HETC_REQUIRE_OPENCL=1" : ": skipped");
        rt_ctx_free(par_ctx);
        exit(required ? 1 : 77);
    }
}

static inline int
par_close(void)
{
    ocl_close(par_dev);
    rt_ctx_free(par_ctx);
    return TEST_DONE();
}

static inline size_t
par_bytes(const RtTensor *t)
{
    return (size_t)rt_numel(t) * rt_dtype_size(t->dt);
}

/* Float outputs: NaN where want has NaN, the same infinities, finite values within atol + rtol *
 * the largest finite |want|; with no tolerance at all, zeros of the same sign. Prints the first
 * mismatch. */
static inline int
par_same_floats(const char *name, const float *got, const float *want, int64_t n, double atol,
                double rtol)
{
    double big = 0;
    for (int64_t i = 0; i < n; i++)
        if (isfinite(want[i]) && fabs(want[i]) > big)
            big = fabs(want[i]);
    for (int64_t i = 0; i < n; i++) {
        float g = got[i], w = want[i];
        int ok = isnan(w)   ? isnan(g)
                 : isinf(w) ? g == w
                            : isfinite(g) && fabs((double)g - w) <= atol + rtol * big;
        if (atol == 0 && rtol == 0 && w == 0)
            ok = g == 0 && signbit(g) == signbit(w);
        if (!ok) {
            fprintf(stderr, "%s: element %lld: got %g, want %g (tolerance %g)\n", name,
                    (long long)i, g, w, atol + rtol * big);
            return 0;
        }
    }
    return 1;
}

/*
 * Checks op on inputs in[0 .. nin) (NULL: omitted) with outputs shaped like out[0 .. nout)
 * (contents ignored; NULL: not requested). Input i is a constant, visible to the op through
 * OclTensor.host as well, when bit i of consts is set. Float outputs must agree as
 * par_same_floats says, others exactly. Returns 1 when they do.
 */
static inline int
par_check(const char *name, OpKind op, const Attr *a, RtTensor *const *in, int nin,
          RtTensor *const *out, int nout, unsigned consts, double atol, double rtol)
{
    enum { MAXT = 16 };
    RtTensor *want[MAXT] = {0};
    OclTensor dt[MAXT], *din[MAXT] = {0}, *dout[MAXT] = {0};
    size_t off[MAXT], total = 0;
    int ok = 1;
    if (nin + nout > MAXT || !cpu_kernel[op] || !ocl_op[op]) {
        fprintf(stderr, "%s: %s\n", name, nin + nout > MAXT ? "too many tensors" : "no kernel");
        return 0;
    }
    for (int i = 0; i < nin + nout; i++) {
        const RtTensor *t = i < nin ? in[i] : out[i - nin];
        off[i] = (total + 63) / 64 * 64 + 8 * (size_t)(i + 1);
        total = off[i] + (t ? par_bytes(t) : 0);
    }
    for (int j = 0; j < nout; j++)
        want[j] = out[j] ? kt_new(out[j]->dt, out[j]->rank, out[j]->dim) : NULL;
    int st = cpu_kernel[op](par_ctx, a, in, nin, want, nout);
    if (st != RT_OK) {
        fprintf(stderr, "%s: the CPU kernel failed: %s\n", name, rt_ctx_error(par_ctx));
        ok = 0;
        goto done;
    }
    OclBuf *buf = NULL;
    if (ocl_buf_new(par_dev, total, &buf) != RT_OK) {
        fprintf(stderr, "%s: %s\n", name, rt_ctx_error(par_ctx));
        ok = 0;
        goto done;
    }
    for (int i = 0; i < nin + nout; i++) {
        const RtTensor *t = i < nin ? in[i] : out[i - nin];
        if (!t)
            continue;
        dt[i] = (OclTensor){.mem = buf->mem, .off = off[i], .dt = t->dt, .rank = t->rank};
        memcpy(dt[i].dim, t->dim, sizeof t->dim);
        if (i < nin) {
            dt[i].host = (consts >> i) & 1 ? t->data : NULL;
            din[i] = &dt[i];
            if (par_bytes(t) && ocl_buf_write(par_dev, buf, off[i], t->data, par_bytes(t)) != RT_OK)
                ok = 0;
        } else {
            dout[i - nin] = &dt[i];
        }
    }
    st = ok ? ocl_op[op](par_dev, a, din, nin, dout, nout) : RT_OK;
    if (ok && (st != RT_OK || ocl_finish(par_dev) != RT_OK)) {
        fprintf(stderr, "%s: the OpenCL op failed: %s\n", name, rt_ctx_error(par_ctx));
        ok = 0;
    }
    for (int j = 0; ok && j < nout; j++) {
        if (!out[j])
            continue;
        size_t n = par_bytes(out[j]);
        void *got = malloc(n ? n : 1);
        if (n && ocl_buf_read(par_dev, buf, off[nin + j], got, n) != RT_OK) {
            fprintf(stderr, "%s: reading output %d: %s\n", name, j, rt_ctx_error(par_ctx));
            ok = 0;
        } else if (out[j]->dt == DT_F32) {
            char what[200];
            snprintf(what, sizeof what, "%s output %d", name, j);
            ok = par_same_floats(what, got, want[j]->data, rt_numel(out[j]), atol, rtol);
        } else if (memcmp(got, want[j]->data, n) != 0) {
            fprintf(stderr, "%s output %d: differs from the CPU's\n", name, j);
            ok = 0;
        }
        free(got);
    }
    ocl_buf_free(par_dev, buf);
done:
    for (int j = 0; j < nout; j++)
        kt_free(want[j]);
    CHECK(ok);
    return ok;
}

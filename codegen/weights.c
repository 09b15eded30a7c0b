/*
 * weights.c: NAME.weights, the plan's constants. A 64-byte header (magic "HETCWTS2", the data
 * size, the checksum of the data, ir/checksum.h) and then every constant a node reads, each at a
 * 64-byte aligned offset. The runtime maps the file and checks size and checksum before use, so
 * a truncated or corrupt file is refused rather than computed with.
 */
#include "cg_impl.h"
#include "ir/checksum.h"

#include <errno.h>
#include <string.h>

enum { ALIGN = 64, HEADER = 64 };

/* constants some node reads or that are graph outputs */
static int
stored(const Graph *g, ValId v)
{
    const Value *x = &g->val[v];
    return (x->flags & V_CONST) && x->def == NONE && ir_nbytes(x) > 0;
}

int
cg_weights_layout(const Graph *g, Weights *w, Diag *d)
{
    memset(w, 0, sizeof *w);
    w->offset = ir_alloc((size_t)(g->nval + 1) * sizeof(int64_t));
    if (!w->offset)
        return diag_oom(d);
    HcSum h;
    hc_sum_init(&h);
    static const unsigned char zeros[ALIGN];
    for (ValId v = 0; v < g->nval; v++) {
        w->offset[v] = -1;
        if (!stored(g, v))
            continue;
        size_t pad = (size_t)((ALIGN - w->size % ALIGN) % ALIGN);
        hc_sum_add(&h, zeros, pad);
        w->size += (int64_t)pad;
        w->offset[v] = w->size;
        size_t n = ir_nbytes(&g->val[v]);
        hc_sum_add(&h, g->val[v].data, n);
        w->size += (int64_t)n;
    }
    w->sum = hc_sum_end(&h);
    return 0;
}

int
cg_weights_write(const Graph *g, const Weights *w, const char *path, Diag *d)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return diag_env(d, "cannot write %s: %s", path, strerror(errno));
    unsigned char head[HEADER] = "HETCWTS2";
    uint64_t size = (uint64_t)w->size;
    memcpy(head + 8, &size, 8);
    memcpy(head + 16, &w->sum, 8);
    int ok = fwrite(head, 1, HEADER, f) == HEADER;
    static const unsigned char zeros[ALIGN];
    int64_t at = 0;
    for (ValId v = 0; ok && v < g->nval; v++) {
        if (w->offset[v] < 0)
            continue;
        ok = fwrite(zeros, 1, (size_t)(w->offset[v] - at), f) == (size_t)(w->offset[v] - at);
        size_t n = ir_nbytes(&g->val[v]);
        ok = ok && fwrite(g->val[v].data, 1, n, f) == n;
        at = w->offset[v] + (int64_t)n;
    }
    if (fclose(f) != 0 || !ok)
        return diag_env(d, "writing %s failed: %s", path, strerror(errno));
    return 0;
}

/*
 * target.c: device descriptions (docs/devices.md) read into a Target, and the host detected as
 * one. A description is read in four steps, and the first error stops it with one line
 * "FILE:LINE: what" (bad input, exit 2):
 *
 *   1. the bytes: a regular file, opened without blocking, of at most TG_MAXFILE bytes;
 *   2. the XML, by libxml2 with no network, no DTD loading, no entity substitution and no
 *      XInclude; a DOCTYPE stops the parser as soon as it is seen (so no entity is ever declared,
 *      let alone expanded or fetched), and namespaces are refused (no xsi:schemaLocation);
 *   3. the schema devices/hetc-devices.xsd, compiled into hetc as a string (target_xsd.c);
 *   4. what a schema cannot say: unique ids, known spaces and processors, one host space and it
 *      first, a cpu processor in host memory, figures in range, cores that exist, and each OpenCL
 *      processor matched to a device of the host (when the caller says what the host has).
 *
 * libxml2 reports its errors through a structured handler installed for the call (and the old
 * one put back), which keeps the first; nothing reaches stderr. A processor's support row is the
 * backend's (support.c), narrowed by <supports> and by its OpenCL device's lack of float64.
 */
#include "target.h"

#include <errno.h>
#include <fcntl.h>
#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/xmlerror.h>
#include <libxml/xmlschemas.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

enum { TG_MAXFILE = 1 << 20 };  /* bytes: a description is a few kilobytes */

/* the schema, generated from devices/hetc-devices.xsd by devices/embed_xsd.cmake */
extern const char target_xsd[];
extern const size_t target_xsd_len;

typedef struct Reader {
    Target *t;
    const char *name;           /* the file, for messages */
    const TargetHost *host;
    Diag *d;
    int xerr, xline;            /* libxml2's first error and its line */
    char xmsg[512];
    int dtd, dtd_line;          /* a DOCTYPE was seen, where */
} Reader;

/* Records "NAME:LINE: what" (or "NAME: what" for line 0) in r->d; returns -1. */
static int
fail(Reader *r, long line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int
fail(Reader *r, long line, const char *fmt, ...)
{
    char msg[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    const char *keep = r->d->file;
    r->d->file = NULL;
    if (line > 0)
        diag_error(r->d, "%s:%ld: %s", r->name, line, msg);
    else
        diag_error(r->d, "%s: %s", r->name, msg);
    r->d->file = keep;
    return -1;
}

/* ---- libxml2's reports ------------------------------------------------------------------------ */

static void
on_error(void *data, xmlErrorPtr e)
{
    Reader *r = data;
    if (!e || e->level < XML_ERR_ERROR || r->xerr)
        return;
    r->xerr = 1;
    r->xline = e->line;
    snprintf(r->xmsg, sizeof r->xmsg, "%s", e->message ? e->message : "malformed XML");
    size_t n = strlen(r->xmsg);
    while (n > 0 && (r->xmsg[n - 1] == '\n' || r->xmsg[n - 1] == ' '))
        r->xmsg[--n] = 0;
}

static void
on_generic(void *data, const char *fmt, ...)
{
    (void)data, (void)fmt;      /* unstructured reports: dropped, the structured one says it */
}

/* SAX: <!DOCTYPE ...> seen. The parser stops before reading the internal subset, so no entity
 * or other declaration is ever taken in, and nothing is loaded. */
static void
on_doctype(void *ctx, const xmlChar *name, const xmlChar *eid, const xmlChar *sid)
{
    xmlParserCtxtPtr p = ctx;
    Reader *r = p->_private;
    (void)name, (void)eid, (void)sid;
    if (!r->dtd) {
        r->dtd = 1;
        r->dtd_line = p->input ? p->input->line : 0;
    }
    xmlStopParser(p);
}

static void
on_entity(void *ctx, const xmlChar *name, int type, const xmlChar *pid, const xmlChar *sid,
          xmlChar *content)
{
    (void)name, (void)type, (void)pid, (void)sid, (void)content;
    on_doctype(ctx, NULL, NULL, NULL);
}

/* The document, or NULL with the error recorded. */
static xmlDocPtr
parse_xml(Reader *r, const char *xml, size_t len)
{
    xmlParserCtxtPtr p = xmlCreateMemoryParserCtxt(xml, (int)len);
    if (!p) {
        diag_oom(r->d);
        return NULL;
    }
    p->_private = r;
    p->sax->internalSubset = on_doctype;
    p->sax->externalSubset = on_doctype;
    p->sax->entityDecl = on_entity;
    p->sax->resolveEntity = NULL;
    /* never XML_PARSE_NOENT, DTDLOAD, DTDATTR, DTDVALID, XINCLUDE or HUGE */
    xmlCtxtUseOptions(p, XML_PARSE_NONET | XML_PARSE_BIG_LINES | XML_PARSE_NOCDATA);
    int rc = xmlParseDocument(p);
    xmlDocPtr doc = p->myDoc;
    int wf = p->wellFormed;
    p->myDoc = NULL;
    xmlFreeParserCtxt(p);
    if (r->dtd || (doc && (doc->intSubset || doc->extSubset))) {
        xmlFreeDoc(doc);
        fail(r, r->dtd_line, "a DOCTYPE is not allowed: device descriptions declare no DTD or "
             "entity, and hetc loads no file or network resource a description names");
        return NULL;
    }
    if (rc != 0 || !wf || !doc) {
        xmlFreeDoc(doc);
        if (r->xerr)
            fail(r, r->xline, "malformed XML: %s", r->xmsg);
        else
            fail(r, 0, "malformed XML");
        return NULL;
    }
    return doc;
}

/* 0, or -1 for an element or attribute in a namespace (xsi:schemaLocation, xi:include, ...) */
static int
no_namespaces(Reader *r, xmlNodePtr n)
{
    for (; n; n = n->next) {
        if (n->type != XML_ELEMENT_NODE)
            continue;
        int bad = n->ns != NULL || n->nsDef != NULL;
        for (xmlAttrPtr a = n->properties; a && !bad; a = a->next)
            bad = a->ns != NULL;
        if (bad)
            return fail(r, xmlGetLineNo(n), "<%s>: XML namespaces are not used in device "
                        "descriptions", (const char *)n->name);
        if (no_namespaces(r, n->children) < 0)
            return -1;
    }
    return 0;
}

static int
validate(Reader *r, xmlDocPtr doc)
{
    xmlSchemaParserCtxtPtr pc = xmlSchemaNewMemParserCtxt(target_xsd, (int)target_xsd_len);
    xmlSchemaPtr schema = pc ? xmlSchemaParse(pc) : NULL;
    xmlSchemaValidCtxtPtr vc = schema ? xmlSchemaNewValidCtxt(schema) : NULL;
    int rc = -1;
    if (!vc) {
        diag_env(r->d, "%s: cannot compile the device schema (out of memory?)", r->name);
        goto done;
    }
    r->xerr = 0;
    int v = xmlSchemaValidateDoc(vc, doc);
    if (v != 0) {
        if (r->xerr)
            fail(r, r->xline, "%s", r->xmsg);
        else
            fail(r, 0, "the description does not follow the schema");
        goto done;
    }
    rc = 0;
done:
    xmlSchemaFreeValidCtxt(vc);
    xmlSchemaFree(schema);
    xmlSchemaFreeParserCtxt(pc);
    return rc;
}

/* ---- attributes ------------------------------------------------------------------------------- */

/* Attribute name of n into buf (cut to size), 1; 0 when absent (buf ""). */
static int
attr(xmlNodePtr n, const char *name, char *buf, size_t size)
{
    xmlChar *v = xmlGetNoNsProp(n, (const xmlChar *)name);
    buf[0] = 0;
    if (!v)
        return 0;
    snprintf(buf, size, "%s", (const char *)v);
    xmlFree(v);
    return 1;
}

/* A decimal attribute (the schema checked its form): 1 and *out, or 0 when absent. */
static int
figure(xmlNodePtr n, const char *name, double *out)
{
    char buf[64];
    if (!attr(n, name, buf, sizeof buf))
        return 0;
    *out = strtod(buf, NULL);
    return 1;
}

static int
is(xmlNodePtr n, const char *name)
{
    return n->type == XML_ELEMENT_NODE && strcmp((const char *)n->name, name) == 0;
}

static int
find_space(const Target *t, const char *id)
{
    for (int i = 0; i < t->nspace; i++)
        if (strcmp(t->space[i].id, id) == 0)
            return i;
    return -1;
}

/* ---- the elements ----------------------------------------------------------------------------- */

static int
read_space(Reader *r, xmlNodePtr n)
{
    Target *t = r->t;
    long line = xmlGetLineNo(n);
    char id[TG_MAXID], host[8];
    attr(n, "id", id, sizeof id);
    attr(n, "host", host, sizeof host);
    if (find_space(t, id) >= 0)
        return fail(r, line, "space \"%s\" is defined twice", id);
    if (!ALWAYS(t->nspace < TG_MAXSPACE))
        return fail(r, line, "more than %d spaces", TG_MAXSPACE);
    Space *s = &t->space[t->nspace];
    snprintf(s->id, sizeof s->id, "%s", id);
    s->host = strcmp(host, "1") == 0;
    s->line = (int)line;
    if (s->host && t->nspace > 0)
        return fail(r, line, "space \"%s\": the host's memory must be the first space (space "
                    "0), and only one space is the host's", id);
    if (!s->host && t->nspace == 0)
        return fail(r, line, "space \"%s\": the first space must be the host's memory "
                    "(host=\"1\")", id);
    t->nspace++;
    return 0;
}

static int
read_link(Reader *r, xmlNodePtr n)
{
    Target *t = r->t;
    long line = xmlGetLineNo(n);
    char a[TG_MAXID], b[TG_MAXID], zc[8];
    attr(n, "a", a, sizeof a);
    attr(n, "b", b, sizeof b);
    attr(n, "zero_copy", zc, sizeof zc);
    int sa = find_space(t, a), sb = find_space(t, b);
    if (sa < 0 || sb < 0)
        return fail(r, line, "link %s-%s: no space \"%s\"", a, b, sa < 0 ? a : b);
    if (sa == sb)
        return fail(r, line, "link %s-%s: a link joins two different spaces", a, b);
    if (target_link(t, sa, sb))
        return fail(r, line, "link %s-%s: these spaces are already linked", a, b);
    if (!ALWAYS(t->nlink < TG_MAXLINK))
        return fail(r, line, "more than %d links", TG_MAXLINK);
    Link *l = &t->link[t->nlink];
    *l = (Link){.a = sa, .b = sb, .zero_copy = strcmp(zc, "1") == 0, .line = (int)line};
    if (figure(n, "bandwidth_gbps", &l->gbps) && !(isfinite(l->gbps) && l->gbps > 0))
        return fail(r, line, "link %s-%s: bandwidth_gbps %g must be above 0 (leave it out when "
                    "unknown)", a, b, l->gbps);
    struct {
        const char *name;
        double *v;
        int positive;
    } fig[] = {{"latency_us", &l->latency_us, 0}, {"back_bandwidth_gbps", &l->back_gbps, 1},
               {"back_latency_us", &l->back_latency_us, 0}, {"map_bandwidth_gbps", &l->map_gbps, 1},
               {"map_latency_us", &l->map_latency_us, 0}};
    for (size_t i = 0; i < sizeof fig / sizeof fig[0]; i++) {
        double v = 0;
        if (!figure(n, fig[i].name, &v))
            continue;
        *fig[i].v = v;
        if (!(isfinite(v) && (fig[i].positive ? v > 0 : v >= 0)))
            return fail(r, line, "link %s-%s: %s %g %s", a, b, fig[i].name, v,
                        fig[i].positive ? "must be above 0 (leave it out when unknown)"
                                        : "is negative");
    }
    t->nlink++;
    return 0;
}

/* Parses "0-1,3" into p's cores: 0, or -1 with the error. */
static int
read_cores(Reader *r, Proc *p, const char *text, long line)
{
    unsigned char seen[TG_MAXCORE] = {0};
    const char *s = text;
    while (*s) {
        char *end;
        long lo = strtol(s, &end, 10), hi = lo;
        if (*end == '-')
            hi = strtol(end + 1, &end, 10);
        if (hi < lo)
            return fail(r, line, "processor %s: core range %ld-%ld runs backwards", p->id, lo, hi);
        if (hi >= TG_MAXCORE)
            return fail(r, line, "processor %s: core %ld is out of range (0 to %d)", p->id, hi,
                        TG_MAXCORE - 1);
        if (r->host && r->host->ncpu > 0 && p->backend != PB_SIMULATED && hi >= r->host->ncpu)
            return fail(r, line, "processor %s: core %ld does not exist (this host has %d "
                        "cores, 0 to %d)", p->id, hi, r->host->ncpu, r->host->ncpu - 1);
        for (long c = lo; c <= hi; c++)
            seen[c] = 1;
        s = *end == ',' ? end + 1 : end;
    }
    for (int c = 0; c < TG_MAXCORE; c++) {
        if (!seen[c])
            continue;
        if (p->ncore < (int)(sizeof p->core / sizeof p->core[0]))
            p->core[p->ncore] = c;
        p->ncore++;
    }
    return 0;
}

/* Names separated by commas, one at a time: copies the next into buf and advances *s. */
static int
next_name(const char **s, char *buf, size_t size)
{
    size_t k = strcspn(*s, ",");
    if (k == 0)
        return 0;
    snprintf(buf, size, "%.*s", (int)k, *s);
    *s += k + ((*s)[k] == ',');
    return 1;
}

/* <supports ops dtypes>: ors what it allows into allow[]. */
static int
read_supports(Reader *r, const Proc *p, xmlNodePtr n, uint32_t *allow)
{
    long line = xmlGetLineNo(n);
    char ops[2048], dts[1024], name[64];
    attr(n, "ops", ops, sizeof ops);
    if (!attr(n, "dtypes", dts, sizeof dts))
        snprintf(dts, sizeof dts, "*");
    uint32_t mask = 0;
    if (strcmp(dts, "*") == 0) {
        mask = ~0u;
    } else {
        for (const char *s = dts; next_name(&s, name, sizeof name);) {
            int dt = 1;
            while (dt < DT_COUNT && strcmp(ir_dtype_name((DType)dt), name) != 0)
                dt++;
            if (dt == DT_COUNT)
                return fail(r, line, "processor %s: unknown dtype \"%s\" (float32, int8, ...)",
                            p->id, name);
            mask |= 1u << dt;
        }
    }
    if (strcmp(ops, "*") == 0) {
        for (int op = 0; op < OP_COUNT; op++)
            allow[op] |= mask;
        return 0;
    }
    for (const char *s = ops; next_name(&s, name, sizeof name);) {
        OpKind op = ir_op_lookup(name);
        if (op == OP_UNKNOWN || op == OP_NOP)
            return fail(r, line, "processor %s: unknown op \"%s\" (ONNX op types: Conv, Relu, "
                        "...)", p->id, name);
        allow[op] |= mask;
    }
    return 0;
}

static const char *const class_name[CC_COUNT] = {"conv", "depthwise", "gemm", "eltwise",
                                                  "reduce", "move", "copy"};

/* The class of op's rates: conv takes Conv and ConvTranspose (depthwise too), gemm Gemm and
 * MatMul, reduce reductions and pools, eltwise the elementwise ops, move the rest. */
static int
op_fits(OpKind op, CostClass c)
{
    switch (ir_op[op].flops) {
    case FL_CONV:
    case FL_CONVT:
        return c == CC_CONV || c == CC_DEPTHWISE;
    case FL_GEMM:
    case FL_MATMUL:
        return c == CC_GEMM;
    case FL_RED:
    case FL_POOL:
        return c == CC_REDUCE;
    case FL_ELT:
        return c == CC_ELTWISE;
    default:
        return c == (op == OP_COPY ? CC_COPY : CC_MOVE);
    }
}

/* A figure of a rate: absent (0), or above 0 (positive) or 0 or more; 0, or -1 with the error. */
static int
rate_figure(Reader *r, const Proc *p, xmlNodePtr n, const char *what, int positive, double *out)
{
    if (!figure(n, what, out))
        return 0;
    if (positive ? isfinite(*out) && *out > 0 : isfinite(*out) && *out >= 0)
        return 0;
    char cls[32];
    attr(n, "class", cls, sizeof cls);
    return fail(r, xmlGetLineNo(n), "processor %s: rate %s: %s %g %s", p->id, cls, what, *out,
                positive ? "must be above 0" : "is negative");
}

static int
read_rate(Reader *r, Proc *p, xmlNodePtr n)
{
    long line = xmlGetLineNo(n);
    char name[32], opname[64], buf[32];
    attr(n, "class", name, sizeof name);
    int c = 0;
    while (c < CC_COUNT && strcmp(class_name[c], name) != 0)
        c++;
    if (!ALWAYS(c < CC_COUNT))
        return fail(r, line, "processor %s: unknown rate class \"%s\"", p->id, name);
    Rate x = {.cls = (CostClass)c, .op = -1, .line = (int)line};
    if (attr(n, "op", opname, sizeof opname)) {
        OpKind op = ir_op_lookup(opname);
        if (op == OP_UNKNOWN || op == OP_NOP)
            return fail(r, line, "processor %s: rate %s: unknown op \"%s\" (ONNX op types: "
                        "Conv, MatMul, ...)", p->id, name, opname);
        if (!op_fits(op, x.cls))
            return fail(r, line, "processor %s: rate %s: op %s is not of class %s", p->id, name,
                        opname, name);
        x.op = op;
    }
    if (attr(n, "threads", buf, sizeof buf))
        x.threads = atoi(buf);
    if (rate_figure(r, p, n, "gflops", 1, &x.gflops) < 0 ||
        rate_figure(r, p, n, "gbps", 1, &x.gbps) < 0 ||
        rate_figure(r, p, n, "launch_us", 0, &x.launch_us) < 0 ||
        rate_figure(r, p, n, "m_half", 0, &x.m_half) < 0 ||
        rate_figure(r, p, n, "n_half", 0, &x.n_half) < 0 ||
        rate_figure(r, p, n, "k_half", 0, &x.k_half) < 0)
        return -1;
    if (x.gflops == 0 && x.gbps == 0)
        return fail(r, line, "processor %s: rate %s: no gflops or gbps (a rate gives at least "
                    "one)", p->id, name);
    for (int i = 0; i < p->nrate; i++)
        if (p->rate[i].cls == x.cls && p->rate[i].op == x.op && p->rate[i].threads == x.threads)
            return fail(r, line, "processor %s: rate %s%s%s at threads %d is given twice (line "
                        "%d)", p->id, name, x.op >= 0 ? " op " : "", x.op >= 0 ? opname : "",
                        x.threads, p->rate[i].line);
    if (!ALWAYS(p->nrate < TG_MAXRATE))
        return fail(r, line, "processor %s: more than %d rates", p->id, TG_MAXRATE);
    p->rate[p->nrate++] = x;
    return 0;
}

/* A simulated processor is predicted from its figures alone: a rate for each class of steps it
 * may run (copies go by the links). 0, or -1 naming the first class missing. */
static int
simulated_rates(Reader *r, const Proc *p)
{
    for (int c = 0; c < CC_COPY; c++) {
        int have = 0;
        for (int i = 0; i < p->nrate && !have; i++)
            have = p->rate[i].cls == (CostClass)c && p->rate[i].op < 0;
        if (!have)
            return fail(r, p->line, "processor %s: a simulated processor needs a rate for class "
                        "%s (<rate class=\"%s\" gflops=... gbps=...>)", p->id, class_name[c],
                        class_name[c]);
    }
    return 0;
}

/* Without cl_khr_fp64 the OpenCL ops refuse float64 and what they compute in double: the
 * reductions of anything but float32, ArgMax, ArgMin and CumSum of 64-bit integers. */
static void
narrow_fp64(Proc *p)
{
    for (int op = 0; op < OP_COUNT; op++) {
        p->can[op] &= ~(1u << DT_F64);
        switch ((OpKind)op) {
        case OP_REDUCEL1: case OP_REDUCEL2: case OP_REDUCELOGSUM: case OP_REDUCELOGSUMEXP:
        case OP_REDUCEMAX: case OP_REDUCEMEAN: case OP_REDUCEMIN: case OP_REDUCEPROD:
        case OP_REDUCESUM: case OP_REDUCESUMSQUARE:
            p->can[op] &= 1u << DT_F32;
            break;
        case OP_ARGMAX: case OP_ARGMIN: case OP_CUMSUM:
            p->can[op] &= ~((1u << DT_I64) | (1u << DT_U64));
            break;
        default:
            break;
        }
    }
}

/* ASCII case-insensitive: does hay contain needle ("" is in everything)? */
static int
contains(const char *hay, const char *needle)
{
    size_t n = strlen(needle);
    for (const char *h = hay;; h++) {
        size_t i = 0;
        while (i < n && h[i]) {
            int a = (unsigned char)h[i], b = (unsigned char)needle[i];
            a += a >= 'A' && a <= 'Z' ? 32 : 0;
            b += b >= 'A' && b <= 'Z' ? 32 : 0;
            if (a != b)
                break;
            i++;
        }
        if (i == n)
            return 1;
        if (!*h)
            return 0;
    }
}

/* Matches an OpenCL processor to a device of the host: 0, or -1 with the error. */
static int
match_device(Reader *r, Proc *p, long line)
{
    const TargetHost *h = r->host;
    if (!h)
        return 0;
    if (h->ndev < 0)
        return fail(r, line, "processor %s names an OpenCL device, but OpenCL cannot be asked "
                    "on this host (no OpenCL platform is installed)", p->id);
    int ndev = h->ndev < TG_MAXPROC ? h->ndev : TG_MAXPROC;
    for (int i = 0; i < ndev; i++) {
        const TargetHostDev *v = &h->dev[i];
        if ((p->cl_index < 0 || v->index == p->cl_index) && contains(v->platform, p->cl_platform) &&
            contains(v->name, p->cl_device)) {
            if (!v->fp64)
                narrow_fp64(p);
            return 0;
        }
    }
    char have[512] = "";
    size_t k = 0;
    for (int i = 0; i < ndev && k < sizeof have; i++) {
        int w = snprintf(have + k, sizeof have - k, "%s%d \"%s\" on \"%s\"", i ? ", " : "",
                         h->dev[i].index, h->dev[i].name, h->dev[i].platform);
        k += w > 0 ? (size_t)w : 0;
    }
    char idx[32] = "";
    if (p->cl_index >= 0)
        snprintf(idx, sizeof idx, " index %d", p->cl_index);
    return fail(r, line, "processor %s: no OpenCL device of this host matches platform \"%s\" "
                "device \"%s\"%s (the host has %s)", p->id, p->cl_platform, p->cl_device, idx,
                ndev ? have : "no OpenCL device");
}

static int
read_processor(Reader *r, xmlNodePtr n)
{
    Target *t = r->t;
    long line = xmlGetLineNo(n);
    char id[TG_MAXID], kind[16], backend[16], space[TG_MAXID], buf[64];
    attr(n, "id", id, sizeof id);
    if (target_find(t, id) >= 0)
        return fail(r, line, "processor \"%s\" is defined twice", id);
    if (!ALWAYS(t->nproc < TG_MAXPROC))
        return fail(r, line, "more than %d processors", TG_MAXPROC);
    Proc *p = &t->proc[t->nproc];
    memset(p, 0, sizeof *p);
    snprintf(p->id, sizeof p->id, "%s", id);
    p->line = (int)line;
    p->cl_index = -1;
    attr(n, "kind", kind, sizeof kind);
    p->kind = strcmp(kind, "gpu") == 0 ? PK_GPU : strcmp(kind, "npu") == 0 ? PK_NPU : PK_CPU;
    attr(n, "backend", backend, sizeof backend);
    p->backend = strcmp(backend, "opencl") == 0      ? PB_OPENCL
                 : strcmp(backend, "simulated") == 0 ? PB_SIMULATED
                                                     : PB_CPU;
    if (p->backend == PB_CPU && p->kind != PK_CPU)
        return fail(r, line, "processor %s: backend %s runs on a CPU, not kind %s", id, backend,
                    kind);
    if (attr(n, "threads", buf, sizeof buf))
        p->threads = atoi(buf);
    attr(n, "space", space, sizeof space);
    p->space = find_space(t, space);
    if (p->space < 0)
        return fail(r, line, "processor %s: no space \"%s\"", id, space);
    if (p->backend == PB_CPU && target_mem(t, p->space) != 0)
        return fail(r, line, "processor %s: a cpu processor works in the host's memory, not "
                    "space \"%s\"", id, space);
    xmlChar *cores = xmlGetNoNsProp(n, (const xmlChar *)"cores");
    int rc = cores ? read_cores(r, p, (const char *)cores, line) : 0;
    xmlFree(cores);
    if (rc < 0)
        return -1;
    if (figure(n, "launch_us", &p->launch_us) && !(isfinite(p->launch_us) && p->launch_us >= 0))
        return fail(r, line, "processor %s: launch_us %g is negative", id, p->launch_us);
    if (figure(n, "sync_us", &p->sync_us) && !(isfinite(p->sync_us) && p->sync_us >= 0))
        return fail(r, line, "processor %s: sync_us %g is negative", id, p->sync_us);
    if (figure(n, "handoff_gbps", &p->handoff_gbps) &&
        !(isfinite(p->handoff_gbps) && p->handoff_gbps > 0))
        return fail(r, line, "processor %s: handoff_gbps %g must be above 0", id,
                    p->handoff_gbps);

    uint32_t allow[OP_COUNT] = {0};
    int narrowed = 0, opencl = 0;
    for (xmlNodePtr c = n->children; c; c = c->next) {
        long cl = xmlGetLineNo(c);
        if (is(c, "opencl")) {
            if (p->backend != PB_OPENCL)
                return fail(r, cl, "processor %s: <opencl> belongs to a processor of backend "
                            "opencl, not %s", id, backend);
            opencl = 1;
            attr(c, "platform", p->cl_platform, sizeof p->cl_platform);
            attr(c, "device", p->cl_device, sizeof p->cl_device);
            if (attr(c, "index", buf, sizeof buf))
                p->cl_index = atoi(buf);
        } else if (is(c, "supports")) {
            narrowed = 1;
            if (read_supports(r, p, c, allow) < 0)
                return -1;
        } else if (is(c, "rate")) {
            if (read_rate(r, p, c) < 0)
                return -1;
        }
    }
    /* the backend's row, narrowed (never widened); copies are the executor's, never narrowed */
    for (int op = 0; op < OP_COUNT; op++)
        p->can[op] = target_support(p->backend, (OpKind)op) & (narrowed ? allow[op] : ~0u);
    p->can[OP_COPY] = target_support(p->backend, OP_COPY);
    if (p->backend == PB_OPENCL && !opencl)
        return fail(r, line, "processor %s: backend opencl needs <opencl platform=... device=... "
                    "index=...> to find its device", id);
    if (p->backend == PB_OPENCL && match_device(r, p, line) < 0)
        return -1;
    if (p->backend == PB_SIMULATED && simulated_rates(r, p) < 0)
        return -1;
    t->nproc++;
    return 0;
}

static int
read_contention(Reader *r, xmlNodePtr n)
{
    Target *t = r->t;
    long line = xmlGetLineNo(n);
    char a[TG_MAXID], b[TG_MAXID];
    attr(n, "a", a, sizeof a);
    attr(n, "b", b, sizeof b);
    int pa = target_find(t, a), pb = target_find(t, b);
    if (pa < 0 || pb < 0)
        return fail(r, line, "contention %s-%s: no processor \"%s\"", a, b, pa < 0 ? a : b);
    if (pa == pb)
        return fail(r, line, "contention %s-%s: a processor does not contend with itself", a, b);
    if (!ALWAYS(t->ncont < TG_MAXLINK))
        return fail(r, line, "more than %d contentions", TG_MAXLINK);
    Contention *c = &t->cont[t->ncont];
    *c = (Contention){.a = pa, .b = pb, .line = (int)line};
    figure(n, "factor", &c->factor);
    if (!(isfinite(c->factor) && c->factor >= 1))
        return fail(r, line, "contention %s-%s: factor %g must be 1 or more", a, b, c->factor);
    t->ncont++;
    return 0;
}

/* <measured by mode cpu date ...>: Target.measured, "hetc profile --quick, CPU, DATE" */
static void
read_measured(Target *t, xmlNodePtr n)
{
    char by[128], mode[128], cpu[128], date[128];
    attr(n, "by", by, sizeof by);
    attr(n, "mode", mode, sizeof mode);
    attr(n, "cpu", cpu, sizeof cpu);
    attr(n, "date", date, sizeof date);
    snprintf(t->measured, sizeof t->measured, "%s%s%s%s%s%s%s", by,
             mode[0] && strcmp(mode, "full") != 0 ? " --" : "",
             strcmp(mode, "full") != 0 ? mode : "", cpu[0] ? ", " : "", cpu,
             date[0] ? ", " : "", date);
}

/* Fills r->t from a valid document: spaces, then links (a processor's memory needs them), then
 * processors, then contention. */
static int
read_platform(Reader *r, xmlNodePtr root)
{
    static const char *const order[] = {"space", "link", "processor", "contention"};
    static int (*const fn[])(Reader *, xmlNodePtr) = {read_space, read_link, read_processor,
                                                      read_contention};
    attr(root, "name", r->t->name, sizeof r->t->name);
    for (xmlNodePtr c = root->children; c; c = c->next)
        if (is(c, "measured"))
            read_measured(r->t, c);
    for (int k = 0; k < 4; k++)
        for (xmlNodePtr c = root->children; c; c = c->next)
            if (is(c, order[k]) && fn[k](r, c) < 0)
                return -1;
    return 0;
}

/* ---- entry points ----------------------------------------------------------------------------- */

int
target_parse(Target *t, const char *xml, size_t len, const char *name, const TargetHost *host,
             Diag *d)
{
    Reader r = {.t = t, .name = name ? name : "(description)", .host = host, .d = d};
    memset(t, 0, sizeof *t);
    if (len > TG_MAXFILE)
        return fail(&r, 0, "the description has %zu bytes, more than the %d a description may "
                    "have", len, TG_MAXFILE);
    if (len == 0 || !xml)
        return fail(&r, 0, "the file is empty: not a device description");
    xmlInitParser();
    /* libxml2 reports through our handler for this call only; nothing goes to stderr */
    xmlStructuredErrorFunc old_s = xmlStructuredError;
    void *old_sctx = xmlStructuredErrorContext;
    xmlGenericErrorFunc old_g = xmlGenericError;
    void *old_gctx = xmlGenericErrorContext;
    xmlSetStructuredErrorFunc(&r, on_error);
    xmlSetGenericErrorFunc(NULL, on_generic);
    int rc = -1;
    xmlDocPtr doc = parse_xml(&r, xml, len);
    if (doc && no_namespaces(&r, xmlDocGetRootElement(doc)) == 0 && validate(&r, doc) == 0 &&
        read_platform(&r, xmlDocGetRootElement(doc)) == 0)
        rc = 0;
    xmlFreeDoc(doc);
    xmlSetStructuredErrorFunc(old_sctx, old_s);
    xmlSetGenericErrorFunc(old_gctx, old_g);
    if (rc < 0 && d->nerr == 0)
        fail(&r, 0, "not a device description");
    return rc;
}

int
target_load(Target *t, const char *path, const TargetHost *host, Diag *d)
{
    Reader r = {.t = t, .name = path, .host = host, .d = d};
    memset(t, 0, sizeof *t);
    /* never blocks (a FIFO without a writer) and reads only a regular file */
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    if (fd < 0)
        return fail(&r, 0, "cannot open: %s", strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int e = errno;
        close(fd);
        return diag_env(d, "%s: fstat failed: %s", path, strerror(e));
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        return fail(&r, 0, "not a regular file (%s)", S_ISDIR(st.st_mode) ? "a directory"
                    : S_ISFIFO(st.st_mode) ? "a FIFO" : "a device or special file");
    }
    if (st.st_size > TG_MAXFILE) {
        close(fd);
        return fail(&r, 0, "the file has %lld bytes, more than the %d a description may have",
                    (long long)st.st_size, TG_MAXFILE);
    }
    char *buf = ir_alloc((size_t)TG_MAXFILE + 1);
    if (!buf) {
        close(fd);
        return diag_oom(d);
    }
    size_t n = 0;
    while (n <= TG_MAXFILE) {
        ssize_t k = read(fd, buf + n, (size_t)TG_MAXFILE + 1 - n);
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0) {
            int e = errno;
            close(fd);
            ir_free(buf);
            return diag_env(d, "%s: read failed: %s", path, strerror(e));
        }
        if (k == 0)
            break;
        n += (size_t)k;
    }
    close(fd);
    int rc = target_parse(t, buf, n, path, host, d);
    ir_free(buf);
    if (rc == 0)
        snprintf(t->file, sizeof t->file, "%s", path);
    return rc;
}

/* src into dst (size > 0), cut to fit */
static void
cut_copy(char *dst, size_t size, const char *src)
{
    size_t n = strnlen(src, size - 1);
    memcpy(dst, src, n);
    dst[n] = 0;
}

int
target_detect(Target *t, const TargetHost *host, Diag *d)
{
    (void)d;
    memset(t, 0, sizeof *t);
    snprintf(t->name, sizeof t->name, "host");
    t->nspace = 1;
    snprintf(t->space[0].id, sizeof t->space[0].id, "host");
    t->space[0].host = 1;
    Proc *c = &t->proc[t->nproc++];
    snprintf(c->id, sizeof c->id, "cpu0");
    c->kind = PK_CPU;
    c->backend = PB_CPU;
    c->cl_index = -1;
    for (int op = 0; op < OP_COUNT; op++)
        c->can[op] = target_support(PB_CPU, (OpKind)op);
    int ndev = host && host->ndev > 0 ? host->ndev : 0;
    /* ocl0 is the device a plan opens by default (runtime/opencl: the first GPU, else the first
     * device), so that what is planned for it is what runs; the others follow in index order */
    int first = 0;
    while (first < ndev && !host->dev[first].gpu)
        first++;
    if (first == ndev)
        first = 0;
    for (int k = 0; k < ndev && t->nproc < TG_MAXPROC; k++) {
        int i = k == 0 ? first : k <= first ? k - 1 : k;
        const TargetHostDev *v = &host->dev[i];
        if (!v->unified && t->nspace == TG_MAXSPACE)
            break;      /* no memory left to give it: the devices after it are not used */
        Proc *p = &t->proc[t->nproc];
        snprintf(p->id, sizeof p->id, "ocl%d", t->nproc - 1);
        p->kind = v->gpu ? PK_GPU : v->cpu ? PK_CPU : PK_NPU;
        p->backend = PB_OPENCL;
        p->cl_index = v->index;
        /* for messages: the index decides (names longer than the fields are cut) */
        cut_copy(p->cl_platform, sizeof p->cl_platform, v->platform);
        cut_copy(p->cl_device, sizeof p->cl_device, v->name);
        for (int op = 0; op < OP_COUNT; op++)
            p->can[op] = target_support(PB_OPENCL, (OpKind)op);
        if (!v->fp64)
            narrow_fp64(p);
        if (v->unified) {
            p->space = 0;       /* the host's memory, one arena seen by both */
        } else {
            /* a memory of its own behind a copy link of unknown bandwidth */
            p->space = t->nspace++;
            snprintf(t->space[p->space].id, sizeof t->space[p->space].id, "ocl%d.mem",
                     t->nproc - 1);
            t->link[t->nlink++] = (Link){.a = 0, .b = p->space};
        }
        t->nproc++;
    }
    return 0;
}

/* ---- queries ---------------------------------------------------------------------------------- */

int
target_find(const Target *t, const char *id)
{
    for (int i = 0; i < t->nproc; i++)
        if (strcmp(t->proc[i].id, id) == 0)
            return i;
    return -1;
}

int
target_first(const Target *t, ProcBackend b)
{
    for (int i = 0; i < t->nproc; i++)
        if (t->proc[i].backend == b)
            return i;
    return -1;
}

int
target_mem(const Target *t, int space)
{
    /* the spaces reachable from space over zero-copy links; the lowest of them */
    unsigned char seen[TG_MAXSPACE] = {0};
    if (space < 0 || space >= t->nspace)
        return space;
    seen[space] = 1;
    for (int grew = 1; grew;) {
        grew = 0;
        for (int i = 0; i < t->nlink; i++) {
            const Link *l = &t->link[i];
            if (l->zero_copy && seen[l->a] != seen[l->b]) {
                seen[l->a] = seen[l->b] = 1;
                grew = 1;
            }
        }
    }
    int low = 0;
    while (!seen[low])
        low++;
    return low;
}

const Link *
target_link(const Target *t, int a, int b)
{
    for (int i = 0; i < t->nlink; i++) {
        const Link *l = &t->link[i];
        if ((l->a == a && l->b == b) || (l->a == b && l->b == a))
            return l;
    }
    return NULL;
}

DType
target_node_dtype(const Graph *g, const Node *x)
{
    for (int i = 0; i < x->nin; i++)
        if (x->in[i] != NONE)
            return g->val[x->in[i]].dt;
    for (int i = 0; i < x->nout; i++)
        if (x->out[i] != NONE)
            return g->val[x->out[i]].dt;
    return DT_UNDEF;
}

int
target_can_run(const Target *t, int p, const Graph *g, NodeId n)
{
    if (p < 0 || p >= t->nproc || n < 0 || n >= g->nnode)
        return 0;
    const Proc *pr = &t->proc[p];
    const Node *x = &g->node[n];
    if ((unsigned)x->op >= OP_COUNT)
        return 0;
    DType dt = target_node_dtype(g, x);
    uint32_t can = pr->can[x->op];
    if (dt == DT_UNDEF || (unsigned)dt >= 32)
        return can != 0;
    if (!(can & (1u << dt)))
        return 0;
    /* the ops fused into it run there too: one a description narrowed away keeps the node off
     * (one its backend lacks alone is left to the fused kernel) */
    for (const char *s = x->ops ? strchr(x->ops, '+') : NULL; s; s = strchr(s + 1, '+')) {
        char name[64];
        size_t k = strcspn(s + 1, "+");
        snprintf(name, sizeof name, "%.*s", (int)(k < sizeof name ? k : sizeof name - 1), s + 1);
        OpKind f = ir_op_lookup(name);
        if ((target_support(pr->backend, f) & (1u << dt)) && !(pr->can[f] & (1u << dt)))
            return 0;
    }
    /* attribute limits of the real backends: Resize interpolates in float32 only */
    if (x->op == OP_RESIZE && pr->backend != PB_SIMULATED && x->attr->resize.mode != RSZ_NEAREST &&
        dt != DT_F32)
        return 0;
    return 1;
}

const char *
target_kind_name(ProcKind k)
{
    switch (k) {
    case PK_CPU: return "cpu";
    case PK_GPU: return "gpu";
    case PK_NPU: return "npu";
    }
    return "?";
}

const char *
target_backend_name(ProcBackend b)
{
    switch (b) {
    case PB_CPU: return "cpu";
    case PB_OPENCL: return "opencl";
    case PB_SIMULATED: return "simulated";
    }
    return "?";
}

/*
 * tensorio.c: reading and writing tensors for the standalone binary: raw little-endian .bin
 * files, ONNX TensorProto .pb files and NumPy .npy files.
 *
 * The runtime does not link protobuf, so the few TensorProto fields needed (dims 1, data_type 2,
 * typed data 4/5/7/10/11, name 8, raw_data 9) are decoded here from the wire format directly;
 * everything else is skipped. Each field's wire type is checked against the encodings ONNX uses
 * before anything is copied, each value of a typed field must fit the element, and every length
 * is checked against the bytes at hand and the room in the destination.
 *
 * A .npy file is a magic string, a version, a Python dict literal ({'descr': '<f4',
 * 'fortran_order': False, 'shape': (1, 3), }) and the data; the header is parsed by a small
 * recursive reader of exactly that form.
 */
#include "rt_io.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *const dtype_names[DT_COUNT] = {
    [DT_F32] = "float32", [DT_U8] = "uint8", [DT_I8] = "int8", [DT_U16] = "uint16",
    [DT_I16] = "int16", [DT_I32] = "int32", [DT_I64] = "int64", [DT_STRING] = "string",
    [DT_BOOL] = "bool", [DT_F16] = "float16", [DT_F64] = "float64", [DT_U32] = "uint32",
    [DT_U64] = "uint64", [DT_C64] = "complex64", [DT_C128] = "complex128",
    [DT_BF16] = "bfloat16",
};

const char *
rt_dtype_name(DType dt)
{
    return (unsigned)dt < DT_COUNT && dtype_names[dt] ? dtype_names[dt] : "unknown";
}

/* ---- TensorProto ----------------------------------------------------------------------------- */

typedef struct Buf {
    const unsigned char *p, *end;
} Buf;

static int
varint(Buf *b, uint64_t *v)
{
    *v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
        if (b->p >= b->end)
            return -1;
        unsigned char c = *b->p++;
        *v |= (uint64_t)(c & 0x7f) << shift;
        if (!(c & 0x80))
            return 0;
    }
    return -1;
}

enum { F_DIMS = 1, F_TYPE = 2, F_FLOAT = 4, F_INT32 = 5, F_INT64 = 7, F_NAME = 8, F_RAW = 9,
       F_DOUBLE = 10, F_UINT64 = 11, F_EXTERNAL = 13, F_LOCATION = 14 };
enum { WT_VARINT = 0, WT_FIXED64 = 1, WT_LEN = 2, WT_FIXED32 = 5 };

static const char *
field_name(int field)
{
    switch (field) {
    case F_DIMS: return "dims";
    case F_TYPE: return "data_type";
    case F_FLOAT: return "float_data";
    case F_INT32: return "int32_data";
    case F_INT64: return "int64_data";
    case F_NAME: return "name";
    case F_RAW: return "raw_data";
    case F_DOUBLE: return "double_data";
    case F_UINT64: return "uint64_data";
    case F_LOCATION: return "data_location";
    default: return "a field";
    }
}

/* Whether TensorProto's field may come in wire type wt (repeated numbers may also be packed,
 * wire type 2). Fields the reader skips may come in any wire type but groups. */
static int
wire_ok(int field, int wt)
{
    switch (field) {
    case F_DIMS: case F_INT32: case F_INT64: case F_UINT64: return wt == WT_VARINT || wt == WT_LEN;
    case F_TYPE: case F_LOCATION: return wt == WT_VARINT;
    case F_FLOAT: return wt == WT_FIXED32 || wt == WT_LEN;
    case F_DOUBLE: return wt == WT_FIXED64 || wt == WT_LEN;
    case F_NAME: case F_RAW: case F_EXTERNAL: return wt == WT_LEN;
    default: return wt == WT_VARINT || wt == WT_FIXED64 || wt == WT_LEN || wt == WT_FIXED32;
    }
}

/* The typed field that holds values of dt (ONNX's onnx.proto: float_data for float and
 * complex64, int32_data for every type of 32 bits or fewer but uint32, ...); 0 for none. */
static int
typed_field(DType dt)
{
    switch (dt) {
    case DT_F32: case DT_C64: return F_FLOAT;
    case DT_I64: return F_INT64;
    case DT_F64: case DT_C128: return F_DOUBLE;
    case DT_U32: case DT_U64: return F_UINT64;
    case DT_U8: case DT_I8: case DT_U16: case DT_I16: case DT_I32: case DT_BOOL: case DT_F16:
    case DT_BF16: return F_INT32;
    default: return 0;
    }
}

static int
is_typed(int field)
{
    return field == F_FLOAT || field == F_INT32 || field == F_INT64 || field == F_DOUBLE ||
           field == F_UINT64;
}

/* Whether a varint entry v of a typed field fits an element of dt: int32_data carries its values
 * sign-extended to 64 bits (and float16 or bfloat16 as their 16 bits). */
static int
varint_fits(DType dt, uint64_t v)
{
    int64_t s = (int64_t)v;
    switch (dt) {
    case DT_BOOL: return v <= 1;
    case DT_U8: return v <= UINT8_MAX;
    case DT_I8: return s >= INT8_MIN && s <= INT8_MAX;
    case DT_U16: case DT_F16: case DT_BF16: return v <= UINT16_MAX;
    case DT_I16: return s >= INT16_MIN && s <= INT16_MAX;
    case DT_I32: return s >= INT32_MIN && s <= INT32_MAX;
    case DT_U32: return v <= UINT32_MAX;
    default: return 1;
    }
}

/* The decoder's state: the destination and how many entries of it are filled. */
typedef struct PbDst {
    unsigned char *p;
    size_t entsz;       /* bytes per entry (half an element for complex types) */
    size_t cap, n;      /* entries room and filled */
    DType dt;
} PbDst;

static int
put_varint_entry(PbDst *d, uint64_t v)
{
    if (d->n >= d->cap)
        return -1;
    memcpy(d->p + d->n++ * d->entsz, &v, d->entsz);   /* little-endian: the low bytes */
    return 0;
}

static int
put_fixed_entries(PbDst *d, const unsigned char *src, size_t bytes)
{
    if (bytes == 0)
        return 0;   /* an empty packed field; d->p may be NULL for an empty tensor */
    if (bytes % d->entsz || bytes / d->entsz > d->cap - d->n)
        return -1;
    memcpy(d->p + d->n * d->entsz, src, bytes);
    d->n += bytes / d->entsz;
    return 0;
}

int
rt_read_pb(const void *data, size_t size, const RtTensor *want, void *dst, char *err, size_t errsz)
{
    Buf b = {data, (const unsigned char *)data + size};
    int64_t dims[RT_MAXRANK];
    int rank = 0, have_dt = 0, other = 0, external = 0;
    uint64_t dt = 0, badval = 0;
    const unsigned char *raw = NULL;
    size_t rawlen = 0, nbytes, es = rt_dtype_size(want->dt);
    int tf = typed_field(want->dt);
    if (es == 0 || tf == 0) {
        snprintf(err, errsz, "the input's type (%s) cannot be read from a .pb file",
                 rt_dtype_name(want->dt));
        return RT_EINPUT;
    }
    if (rt_tensor_bytes(want, &nbytes) != 0)
        goto huge;
    int cplx = want->dt == DT_C64 || want->dt == DT_C128;
    PbDst d = {dst, cplx ? es / 2 : es, 0, 0, want->dt};
    d.cap = nbytes / d.entsz;
    while (b.p < b.end) {
        uint64_t key, v;
        if (varint(&b, &key) < 0)
            goto bad;
        int field = key >> 3 > INT_MAX ? 0 : (int)(key >> 3), wt = (int)(key & 7);
        if (!wire_ok(field, wt)) {
            if (wt == 3 || wt == 4 || wt > 5)
                goto bad;
            snprintf(err, errsz, "field %d (%s) has wire type %d, which TensorProto never uses "
                     "for it", field, field_name(field), wt);
            return RT_EINPUT;
        }
        int mine = field == tf;     /* the typed field that holds this tensor's values */
        if (is_typed(field) && !mine)
            other = field;          /* reported after data_type, which may come later */
        if (wt == WT_VARINT) {
            if (varint(&b, &v) < 0)
                goto bad;
            if (field == F_DIMS) {
                if (rank == RT_MAXRANK)
                    goto toomany;
                dims[rank++] = (int64_t)v;
            } else if (field == F_TYPE) {
                dt = v;
                have_dt = 1;
            } else if (field == F_LOCATION) {
                external |= v != 0;
            } else if (mine) {
                if (!varint_fits(want->dt, v)) {
                    badval = v;
                    goto value;
                }
                if (put_varint_entry(&d, v) < 0)
                    goto size;
            }
        } else if (wt == WT_FIXED64 || wt == WT_FIXED32) {
            size_t n = wt == WT_FIXED64 ? 8 : 4;
            if ((size_t)(b.end - b.p) < n)
                goto bad;
            if (mine && put_fixed_entries(&d, b.p, n) < 0)   /* n == d.entsz (wire_ok) */
                goto size;
            b.p += n;
        } else {
            if (varint(&b, &v) < 0 || v > (uint64_t)(b.end - b.p))
                goto bad;
            Buf sub = {b.p, b.p + v};
            b.p += v;
            if (field == F_RAW) {
                raw = sub.p;
                rawlen = (size_t)v;
            } else if (field == F_EXTERNAL) {
                external = 1;
            } else if (field == F_DIMS) {
                while (sub.p < sub.end) {
                    uint64_t x;
                    if (varint(&sub, &x) < 0)
                        goto bad;
                    if (rank == RT_MAXRANK)
                        goto toomany;
                    dims[rank++] = (int64_t)x;
                }
            } else if (mine && (field == F_FLOAT || field == F_DOUBLE)) {
                /* packed fixed32 or fixed64 entries, as wide as the element's (half) */
                if (put_fixed_entries(&d, sub.p, (size_t)v) < 0)
                    goto size;
            } else if (mine) {
                while (sub.p < sub.end) {
                    uint64_t x;
                    if (varint(&sub, &x) < 0)
                        goto bad;
                    if (!varint_fits(want->dt, x)) {
                        badval = x;
                        goto value;
                    }
                    if (put_varint_entry(&d, x) < 0)
                        goto size;
                }
            }
        }
    }
    if (!have_dt || dt != (uint64_t)want->dt) {
        snprintf(err, errsz, "the tensor has data type %s (%llu), the input is %s",
                 have_dt ? rt_dtype_name(dt < DT_COUNT ? (DType)dt : DT_UNDEF) : "unset",
                 (unsigned long long)dt, rt_dtype_name(want->dt));
        return RT_EINPUT;
    }
    if (external) {
        snprintf(err, errsz, "the tensor's data is external, which input files cannot use");
        return RT_EINPUT;
    }
    if (other) {
        snprintf(err, errsz, "the tensor has %s, but a %s tensor keeps its values in %s or "
                 "raw_data", field_name(other), rt_dtype_name(want->dt), field_name(tf));
        return RT_EINPUT;
    }
    if (raw && d.n) {
        snprintf(err, errsz, "the tensor has both raw_data and %s", field_name(tf));
        return RT_EINPUT;
    }
    int64_t numel = 1;
    for (int i = 0; i < rank; i++)
        numel = dims[i] >= 0 && numel >= 0 && numel <= INT64_MAX / (dims[i] ? dims[i] : 1)
                    ? numel * dims[i] : -1;
    if (numel != rt_numel(want))
        goto size;
    if (raw) {
        if (rawlen != nbytes)
            goto size;
        if (nbytes)
            memcpy(dst, raw, nbytes);
    } else if (d.n != d.cap) {
        goto size;
    }
    return RT_OK;
bad:
    snprintf(err, errsz, "not a TensorProto (malformed protobuf)");
    return RT_EINPUT;
huge:
    snprintf(err, errsz, "the input is too large to address");
    return RT_EINPUT;
toomany:
    snprintf(err, errsz, "the tensor has more than %d dims", RT_MAXRANK);
    return RT_EINPUT;
value:
    snprintf(err, errsz, "%s holds %lld, which is not a valid %s", field_name(tf),
             (long long)(int64_t)badval, rt_dtype_name(want->dt));
    return RT_EINPUT;
size:
    snprintf(err, errsz, "the tensor's size does not match the input (%lld elements)",
             (long long)rt_numel(want));
    return RT_EINPUT;
}

static void
put_varint(FILE *f, uint64_t v)
{
    do {
        unsigned char c = v & 0x7f;
        v >>= 7;
        fputc(c | (v ? 0x80 : 0), f);
    } while (v);
}

int
rt_write_pb(FILE *f, const RtTensor *t, const char *name)
{
    unsigned char dims[RT_MAXRANK * 10];
    size_t nd = 0, nb;
    if (rt_tensor_bytes(t, &nb) != 0)
        return RT_EINPUT;
    for (int i = 0; i < t->rank; i++) {
        uint64_t v = (uint64_t)t->dim[i];
        do {
            unsigned char c = v & 0x7f;
            v >>= 7;
            dims[nd++] = c | (v ? 0x80 : 0);
        } while (v);
    }
    if (t->rank) {
        fputc(1 << 3 | 2, f);
        put_varint(f, nd);
        fwrite(dims, 1, nd, f);
    }
    fputc(2 << 3 | 0, f);
    put_varint(f, (uint64_t)t->dt);
    size_t nl = strlen(name);
    fputc(8 << 3 | 2, f);
    put_varint(f, nl);
    fwrite(name, 1, nl, f);
    fputc(9 << 3 | 2, f);
    put_varint(f, nb);
    if (nb && fwrite(t->data, 1, nb, f) != nb)
        return RT_EIO;
    return ferror(f) ? RT_EIO : RT_OK;
}

/* ---- .npy ------------------------------------------------------------------------------------ */

/* NumPy's type codes (the descr without its byte-order character) of the dtypes it has. */
static const char *const npy_codes[DT_COUNT] = {
    [DT_F32] = "f4", [DT_U8] = "u1", [DT_I8] = "i1", [DT_U16] = "u2", [DT_I16] = "i2",
    [DT_I32] = "i4", [DT_I64] = "i8", [DT_BOOL] = "b1", [DT_F16] = "f2", [DT_F64] = "f8",
    [DT_U32] = "u4", [DT_U64] = "u8", [DT_C64] = "c8", [DT_C128] = "c16",
};

static const char npy_magic[6] = {'\x93', 'N', 'U', 'M', 'P', 'Y'};

typedef struct NpyHeader {
    char descr[16];
    int fortran;
    int rank;
    int64_t dim[RT_MAXRANK];
    int seen;           /* bit 0 descr, 1 fortran_order, 2 shape */
} NpyHeader;

static void
skip_space(Buf *b)
{
    while (b->p < b->end && (*b->p == ' ' || *b->p == '\t' || *b->p == '\n' || *b->p == '\r'))
        b->p++;
}

static int
eat(Buf *b, char c)
{
    skip_space(b);
    if (b->p < b->end && *b->p == (unsigned char)c) {
        b->p++;
        return 1;
    }
    return 0;
}

/* A Python string literal without escapes, into out (cap bytes with the NUL). */
static int
npy_string(Buf *b, char *out, size_t cap)
{
    skip_space(b);
    if (b->p >= b->end || (*b->p != '\'' && *b->p != '"'))
        return -1;
    unsigned char q = *b->p++;
    size_t n = 0;
    while (b->p < b->end && *b->p != q) {
        if (*b->p == '\\' || n + 1 >= cap)
            return -1;
        out[n++] = (char)*b->p++;
    }
    if (b->p >= b->end)
        return -1;
    b->p++;
    out[n] = 0;
    return 0;
}

static int
npy_word(Buf *b, const char *w)
{
    skip_space(b);
    size_t n = strlen(w);
    if ((size_t)(b->end - b->p) < n || memcmp(b->p, w, n) != 0)
        return 0;
    b->p += n;
    return 1;
}

/* A shape tuple: (), (5,), (1, 3, 224, 224) */
static int
npy_shape(Buf *b, NpyHeader *h)
{
    if (!eat(b, '('))
        return -1;
    h->rank = 0;
    for (;;) {
        if (eat(b, ')'))
            return 0;
        skip_space(b);
        if (b->p >= b->end || *b->p < '0' || *b->p > '9' || h->rank == RT_MAXRANK)
            return -1;
        int64_t v = 0;
        while (b->p < b->end && *b->p >= '0' && *b->p <= '9') {
            int digit = *b->p++ - '0';
            if (v > (INT64_MAX - digit) / 10)
                return -1;
            v = v * 10 + digit;
        }
        h->dim[h->rank++] = v;
        if (!eat(b, ',')) {
            if (!eat(b, ')'))
                return -1;
            /* a tuple of one needs its comma: (5) is not a tuple */
            return h->rank == 1 ? -1 : 0;
        }
    }
}

static int
npy_dict(Buf *b, NpyHeader *h)
{
    if (!eat(b, '{'))
        return -1;
    for (;;) {
        char key[32];
        if (eat(b, '}'))
            break;
        if (npy_string(b, key, sizeof key) < 0 || !eat(b, ':'))
            return -1;
        int bit;
        if (strcmp(key, "descr") == 0) {
            bit = 1;
            if (npy_string(b, h->descr, sizeof h->descr) < 0)
                return -1;
        } else if (strcmp(key, "fortran_order") == 0) {
            bit = 2;
            if (npy_word(b, "True"))
                h->fortran = 1;
            else if (npy_word(b, "False"))
                h->fortran = 0;
            else
                return -1;
        } else if (strcmp(key, "shape") == 0) {
            bit = 4;
            if (npy_shape(b, h) < 0)
                return -1;
        } else {
            return -1;
        }
        if (h->seen & bit)
            return -1;
        h->seen |= bit;
        if (!eat(b, ',')) {
            if (!eat(b, '}'))
                return -1;
            break;
        }
    }
    skip_space(b);
    return b->p == b->end && h->seen == 7 ? 0 : -1;
}

static void
shape_text(char *out, size_t cap, int rank, const int64_t *dim)
{
    size_t n = 0;
    out[0] = 0;
    n += (size_t)snprintf(out, cap, "[");
    for (int i = 0; i < rank && n < cap; i++)
        n += (size_t)snprintf(out + n, cap - n, "%s%lld", i ? "," : "", (long long)dim[i]);
    if (n < cap)
        snprintf(out + n, cap - n, "]");
}

int
rt_read_npy(const void *data, size_t size, const RtTensor *want, void *dst, char *err,
            size_t errsz)
{
    const unsigned char *p = data;
    size_t nbytes, hlen, start;
    if (size < 10 || memcmp(p, npy_magic, sizeof npy_magic) != 0) {
        snprintf(err, errsz, "not a .npy file (no NumPy magic string)");
        return RT_EINPUT;
    }
    if (p[6] == 1) {
        hlen = (size_t)p[8] | (size_t)p[9] << 8;
        start = 10;
    } else if ((p[6] == 2 || p[6] == 3) && size >= 12) {
        hlen = (size_t)p[8] | (size_t)p[9] << 8 | (size_t)p[10] << 16 | (size_t)p[11] << 24;
        start = 12;
    } else {
        snprintf(err, errsz, "a .npy file of version %d.%d, which is not 1.0, 2.0 or 3.0", p[6],
                 p[7]);
        return RT_EINPUT;
    }
    NpyHeader h = {0};
    Buf b = {p + start, p + start + (hlen <= size - start ? hlen : 0)};
    if (hlen > size - start || npy_dict(&b, &h) < 0) {
        snprintf(err, errsz, "malformed .npy header");
        return RT_EINPUT;
    }
    char order = h.descr[0];
    const char *code = h.descr + 1;
    if (order == '>' && strcmp(code, "u1") && strcmp(code, "i1") && strcmp(code, "b1")) {
        snprintf(err, errsz, "the .npy holds big-endian data ('%s'); the binary reads "
                 "little-endian only", h.descr);
        return RT_EINPUT;
    }
    const char *need = (unsigned)want->dt < DT_COUNT ? npy_codes[want->dt] : NULL;
    if (!need || (order != '<' && order != '|' && order != '=' && order != '>') ||
        strcmp(code, need) != 0) {
        snprintf(err, errsz, "the .npy has dtype '%s', the input is %s", h.descr,
                 rt_dtype_name(want->dt));
        return RT_EINPUT;
    }
    if (h.fortran) {
        snprintf(err, errsz, "the .npy is in Fortran order; the binary reads C order only");
        return RT_EINPUT;
    }
    int same = h.rank == want->rank;
    for (int i = 0; same && i < h.rank; i++)
        same = h.dim[i] == want->dim[i];
    if (!same) {
        char have[200], need_shape[200];
        shape_text(have, sizeof have, h.rank, h.dim);
        shape_text(need_shape, sizeof need_shape, want->rank, want->dim);
        snprintf(err, errsz, "the .npy has shape %s, the input %s", have, need_shape);
        return RT_EINPUT;
    }
    if (rt_tensor_bytes(want, &nbytes) != 0) {
        snprintf(err, errsz, "the input is too large to address");
        return RT_EINPUT;
    }
    if (size - start - hlen != nbytes) {
        snprintf(err, errsz, "the .npy has %zu bytes of data, the input needs %zu",
                 size - start - hlen, nbytes);
        return RT_EINPUT;
    }
    if (nbytes)
        memcpy(dst, p + start + hlen, nbytes);
    return RT_OK;
}

int
rt_write_npy(FILE *f, const RtTensor *t)
{
    const char *code = (unsigned)t->dt < DT_COUNT ? npy_codes[t->dt] : NULL;
    size_t nb;
    if (!code || rt_tensor_bytes(t, &nb) != 0)
        return RT_EUNSUPPORTED;
    char dict[512];
    int n = snprintf(dict, sizeof dict, "{'descr': '%c%s', 'fortran_order': False, 'shape': (",
                     rt_dtype_size(t->dt) == 1 ? '|' : '<', code);
    for (int i = 0; i < t->rank; i++)
        n += snprintf(dict + n, sizeof dict - (size_t)n, "%lld,%s", (long long)t->dim[i],
                      i + 1 < t->rank ? " " : "");
    if (t->rank > 1)
        n--;    /* (1, 3) but (5,) */
    n += snprintf(dict + n, sizeof dict - (size_t)n, "), }");
    /* version 1.0; the header is padded with spaces and a newline to a multiple of 64 */
    size_t total = 10 + (size_t)n + 1;
    size_t pad = (64 - total % 64) % 64;
    unsigned char pre[10];
    memcpy(pre, npy_magic, sizeof npy_magic);
    pre[6] = 1;
    pre[7] = 0;
    size_t hlen = (size_t)n + pad + 1;
    pre[8] = (unsigned char)(hlen & 0xff);
    pre[9] = (unsigned char)(hlen >> 8);
    fwrite(pre, 1, sizeof pre, f);
    fwrite(dict, 1, (size_t)n, f);
    for (size_t i = 0; i < pad; i++)
        fputc(' ', f);
    fputc('\n', f);
    if (nb && fwrite(t->data, 1, nb, f) != nb)
        return RT_EIO;
    return ferror(f) ? RT_EIO : RT_OK;
}

/* ---- files ----------------------------------------------------------------------------------- */

int
rt_open_regular(const char *path, size_t *size, char *err, size_t errsz)
{
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    if (fd < 0) {
        snprintf(err, errsz, "cannot read: %s", strerror(errno));
        return -1;
    }
    struct stat st;
    if (fstat(fd, &st) != 0) {
        snprintf(err, errsz, "cannot read: %s", strerror(errno));
        close(fd);
        return -1;
    }
    if (!S_ISREG(st.st_mode)) {
        snprintf(err, errsz, "not a regular file");
        close(fd);
        return -2;
    }
    *size = (size_t)st.st_size;
    return fd;
}

int
rt_read_file(const char *path, size_t max, void **data, size_t *size, char *err, size_t errsz)
{
    *data = NULL;
    *size = 0;
    int fd = rt_open_regular(path, size, err, errsz);
    if (fd < 0)
        return RT_EINPUT;
    int rc = RT_EINPUT;
    if (*size > max) {
        snprintf(err, errsz, "the file has %zu bytes, more than an input of this shape can take "
                 "(%zu)", *size, max);
        goto done;
    }
    unsigned char *buf = malloc(*size ? *size : 1);
    if (!buf) {
        snprintf(err, errsz, "out of memory for %zu bytes", *size);
        rc = RT_ENOMEM;
        goto done;
    }
    size_t got = 0;
    while (got < *size) {
        ssize_t r = read(fd, buf + got, *size - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            snprintf(err, errsz, "cannot read: %s", r < 0 ? strerror(errno)
                                                          : "the file shrank while read");
            free(buf);
            goto done;
        }
        got += (size_t)r;
    }
    *data = buf;
    rc = RT_OK;
done:
    close(fd);
    return rc;
}

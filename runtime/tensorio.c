/*
 * tensorio.c: reading and writing tensors for the standalone binary: raw little-endian .bin files
 * and ONNX TensorProto .pb files. The runtime does not link protobuf, so the few TensorProto
 * fields needed (dims 1, data_type 2, typed data 4/5/7/10/11, name 8, raw_data 9) are decoded
 * here from the wire format directly; everything else is skipped. Every length is checked against
 * the bytes at hand.
 */
#include "rt_io.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* the element count of a typed field's entries: per = entries per element */
static int
typed_field(int field, DType dt)
{
    switch (dt) {
    case DT_F32: case DT_C64: return field == 4;
    case DT_I64: return field == 7;
    case DT_F64: case DT_C128: return field == 10;
    case DT_U32: case DT_U64: return field == 11;
    default: return field == 5;
    }
}

/* Stores one entry of a typed field, as the element's bytes. */
static void
store_entry(unsigned char *dst, DType dt, uint64_t bits)
{
    size_t es = rt_dtype_size(dt);
    if (dt == DT_C64)
        es = 4;
    if (dt == DT_C128)
        es = 8;
    memcpy(dst, &bits, es);    /* little-endian: the low bytes */
}

int
rt_read_pb(const void *data, size_t size, const RtTensor *want, void *dst, char *err, size_t errsz)
{
    Buf b = {data, (const unsigned char *)data + size};
    int64_t dims[RT_MAXRANK];
    int rank = 0, have_dt = 0;
    uint64_t dt = 0;
    const unsigned char *raw = NULL;
    size_t rawlen = 0;
    size_t es = rt_dtype_size(want->dt), nbytes = (size_t)rt_numel(want) * es;
    size_t typed = 0;   /* typed entries seen */
    int per = (want->dt == DT_C64 || want->dt == DT_C128) ? 2 : 1;
    size_t entsz = per == 2 ? es / 2 : es;
    while (b.p < b.end) {
        uint64_t key, v;
        if (varint(&b, &key) < 0)
            goto bad;
        int field = (int)(key >> 3), wt = (int)(key & 7);
        if (wt == 0) {
            if (varint(&b, &v) < 0)
                goto bad;
            if (field == 1) {
                if (rank == RT_MAXRANK)
                    goto toomany;
                dims[rank++] = (int64_t)v;
            } else if (field == 2) {
                dt = v;
                have_dt = 1;
            } else if (typed_field(field, want->dt)) {
                if (typed >= (size_t)rt_numel(want) * (size_t)per)
                    goto size;
                store_entry((unsigned char *)dst + typed++ * entsz, want->dt, v);
            }
        } else if (wt == 1 || wt == 5) {
            size_t n = wt == 1 ? 8 : 4;
            if ((size_t)(b.end - b.p) < n)
                goto bad;
            if (typed_field(field, want->dt)) {
                if (typed >= (size_t)rt_numel(want) * (size_t)per)
                    goto size;
                memcpy((unsigned char *)dst + typed++ * entsz, b.p, n);
            }
            b.p += n;
        } else if (wt == 2) {
            if (varint(&b, &v) < 0 || v > (uint64_t)(b.end - b.p))
                goto bad;
            Buf sub = {b.p, b.p + v};
            b.p += v;
            if (field == 9) {
                raw = sub.p;
                rawlen = (size_t)v;
            } else if (field == 1) {
                while (sub.p < sub.end) {
                    uint64_t x;
                    if (varint(&sub, &x) < 0)
                        goto bad;
                    if (rank == RT_MAXRANK)
                        goto toomany;
                    dims[rank++] = (int64_t)x;
                }
            } else if (typed_field(field, want->dt) && (field == 4 || field == 10)) {
                /* packed fixed-size entries */
                size_t n = field == 4 ? 4 : 8, cnt = (size_t)v / n;
                if ((size_t)v % n || typed + cnt > (size_t)rt_numel(want) * (size_t)per)
                    goto size;
                memcpy((unsigned char *)dst + typed * entsz, sub.p, (size_t)v);
                typed += cnt;
            } else if (typed_field(field, want->dt)) {
                while (sub.p < sub.end) {
                    uint64_t x;
                    if (varint(&sub, &x) < 0)
                        goto bad;
                    if (typed >= (size_t)rt_numel(want) * (size_t)per)
                        goto size;
                    store_entry((unsigned char *)dst + typed++ * entsz, want->dt, x);
                }
            }
        } else {
            goto bad;
        }
    }
    if (!have_dt || (int)dt != (int)want->dt) {
        snprintf(err, errsz, "the tensor has data type %d, the input needs %d", (int)dt,
                 (int)want->dt);
        return RT_EINPUT;
    }
    int64_t numel = 1;
    for (int i = 0; i < rank; i++)
        numel = dims[i] >= 0 && numel <= INT64_MAX / (dims[i] ? dims[i] : 1) ? numel * dims[i] : -1;
    if (numel != rt_numel(want))
        goto size;
    if (raw) {
        if (rawlen != nbytes)
            goto size;
        memcpy(dst, raw, nbytes);
    } else if (typed != (size_t)numel * (size_t)per) {
        goto size;
    }
    return RT_OK;
bad:
    snprintf(err, errsz, "not a TensorProto (malformed protobuf)");
    return RT_EINPUT;
toomany:
    snprintf(err, errsz, "the tensor has more than %d dims", RT_MAXRANK);
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
    size_t nd = 0;
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
    size_t nb = (size_t)rt_numel(t) * rt_dtype_size(t->dt);
    fputc(9 << 3 | 2, f);
    put_varint(f, nb);
    if (nb && fwrite(t->data, 1, nb, f) != nb)
        return RT_EIO;
    return ferror(f) ? RT_EIO : RT_OK;
}

int
rt_read_file(const char *path, void **data, size_t *size)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return RT_EIO;
    int rc = RT_EIO;
    *data = NULL;
    if (fseek(f, 0, SEEK_END) != 0)
        goto done;
    long n = ftell(f);
    if (n < 0 || fseek(f, 0, SEEK_SET) != 0)
        goto done;
    *data = malloc((size_t)n + 1);
    if (!*data) {
        rc = RT_ENOMEM;
        goto done;
    }
    if (fread(*data, 1, (size_t)n, f) != (size_t)n) {
        free(*data);
        *data = NULL;
        goto done;
    }
    *size = (size_t)n;
    rc = RT_OK;
done:
    fclose(f);
    return rc;
}

/*
 * tensor.c: TensorProto -> constant Value. Checks every size field against what the file really
 * holds before allocating (dims non-negative, element counts that fit 64 bits, data fields of the
 * right length), so a corrupt model gets a diagnostic rather than a huge allocation. Handles
 * raw_data, the typed repeated fields, and external data confined to the model's folder (file.c),
 * whose file is opened and measured before its buffer is allocated.
 */
#include "onnx_impl.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int
check_dtype(Loader *L, int32_t dt, const char *what)
{
    if (dt <= 0 || dt >= DT_COUNT)
        return diag_error(L->d, "%s has unknown data type %d", what, dt);
    if (dt == DT_STRING)
        return diag_error(L->d, "%s is a string tensor; string tensors are not supported", what);
    return 0;
}

/*
 * Loads the external data of t into v: the file is opened (a regular file inside the model's
 * folder) and checked to hold nbytes at the declared offset before the buffer is allocated, so a
 * tensor that declares gigabytes over a small, missing or special file costs nothing.
 */
static int
load_external(Loader *L, const Onnx__TensorProto *t, ValId v, int64_t nbytes, const char *what)
{
    const char *location = "";
    int64_t offset = 0, length = -1;
    for (size_t i = 0; i < t->n_external_data; i++) {
        const char *k = pbstr(t->external_data[i]->key), *s = pbstr(t->external_data[i]->value);
        char *end;
        if (strcmp(k, "location") == 0) {
            location = s;
        } else if (strcmp(k, "offset") == 0 || strcmp(k, "length") == 0) {
            errno = 0;
            long long x = strtoll(s, &end, 10);
            if (errno || *end || end == s || x < 0)
                return diag_error(L->d, "%s: external data %s \"%s\" is not a byte count", what,
                                  k, s);
            *(k[0] == 'o' ? &offset : &length) = x;
        }
    }
    if (length >= 0 && length != nbytes)
        return diag_error(L->d, "%s: external data length %lld, the tensor needs %lld bytes", what,
                          (long long)length, (long long)nbytes);
    char *path = onnx_external_path(L->dir, location, what, L->d);
    if (!path)
        return -1;
    char label[800];
    snprintf(label, sizeof label, "%s: external data \"%.400s\"", what, path);
    int64_t size = 0;
    int rc = -1, fd = onnx_file_open(path, label, O_NOFOLLOW, &size, L->d);
    if (fd < 0)
        goto done;
    /* offset <= size first, so size - offset cannot overflow */
    if (offset > size || nbytes > size - offset) {
        diag_error(L->d, "%s: external data \"%s\" holds %lld bytes; the tensor needs %lld at "
                   "offset %lld", what, path, (long long)size, (long long)nbytes,
                   (long long)offset);
        goto done;
    }
    if (nbytes > 0) {
        unsigned char *data = ir_galloc(L->g, (size_t)nbytes);
        if (!data) {
            diag_oom(L->d);
            goto done;
        }
        if (onnx_file_read(fd, data, (size_t)nbytes, offset, label, L->d) < 0)
            goto done;
        L->g->val[v].data = data;
    }
    rc = 0;
done:
    if (fd >= 0)
        close(fd);
    ir_free(path);
    return rc;
}

/* the typed field that holds data of type dt, and how many entries one element takes */
static size_t
typed_count(const Onnx__TensorProto *t, DType dt, int *per)
{
    *per = (dt == DT_C64 || dt == DT_C128) ? 2 : 1;
    switch (dt) {
    case DT_F32: case DT_C64: return t->n_float_data;
    case DT_I64: return t->n_int64_data;
    case DT_F64: case DT_C128: return t->n_double_data;
    case DT_U32: case DT_U64: return t->n_uint64_data;
    default: return t->n_int32_data;
    }
}

static void
copy_typed(const Onnx__TensorProto *t, DType dt, unsigned char *dst, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        switch (dt) {
        case DT_F32: case DT_C64: memcpy(dst + 4 * i, &t->float_data[i], 4); break;
        case DT_I64: memcpy(dst + 8 * i, &t->int64_data[i], 8); break;
        case DT_F64: case DT_C128: memcpy(dst + 8 * i, &t->double_data[i], 8); break;
        case DT_U64: memcpy(dst + 8 * i, &t->uint64_data[i], 8); break;
        case DT_U32: { uint32_t x = (uint32_t)t->uint64_data[i]; memcpy(dst + 4 * i, &x, 4); break; }
        case DT_I32: memcpy(dst + 4 * i, &t->int32_data[i], 4); break;
        case DT_I16: case DT_U16: case DT_F16: case DT_BF16: {
            uint16_t x = (uint16_t)t->int32_data[i];
            memcpy(dst + 2 * i, &x, 2);
            break;
        }
        default: dst[i] = (unsigned char)t->int32_data[i]; break;     /* 8-bit types, bool */
        }
    }
}

int
onnx_tensor_to_value(Loader *L, const Onnx__TensorProto *t, ValId v, const char *what)
{
    Graph *g = L->g;
    if (!t->has_data_type)
        return diag_error(L->d, "%s has no data type", what);
    if (check_dtype(L, t->data_type, what) < 0)
        return -1;
    if (t->segment)
        return diag_error(L->d, "%s is segmented; segmented tensors are not supported", what);
    if (t->n_dims > IR_MAXRANK)
        return diag_error(L->d, "%s has rank %zu; at most %d is supported", what, t->n_dims,
                          IR_MAXRANK);
    Value *x = &g->val[v];
    x->dt = (DType)t->data_type;
    x->rank = (int)t->n_dims;
    for (size_t i = 0; i < t->n_dims; i++) {
        if (t->dims[i] < 0)
            return diag_error(L->d, "%s has negative dimension %lld", what, (long long)t->dims[i]);
        x->dim[i] = t->dims[i];
    }
    int64_t numel = ir_numel(x);
    size_t es = ir_dtype_size(x->dt);
    if (numel < 0 || (uint64_t)numel > (uint64_t)INT64_MAX / es)
        return diag_error(L->d, "%s has too many elements (the count overflows 64 bits)", what);
    int64_t nbytes = numel * (int64_t)es;
    x->flags |= V_CONST;
    int external = t->has_data_location &&
                   t->data_location == ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL;
    /* check the data is there before allocating what the dims ask for */
    size_t typed = 0;
    int per = 1;
    if (!external) {
        if (t->has_raw_data) {
            if ((uint64_t)t->raw_data.len != (uint64_t)nbytes)
                return diag_error(L->d, "%s has %zu bytes of raw data; its shape needs %lld", what,
                                  t->raw_data.len, (long long)nbytes);
        } else {
            typed = typed_count(t, x->dt, &per);
            if ((uint64_t)typed != (uint64_t)numel * (uint64_t)per)
                return diag_error(L->d, "%s has %zu data entries; its shape needs %lld", what,
                                  typed, (long long)numel * per);
        }
    } else if (nbytes > ONNX_MAX_FILE * 8LL) {
        return diag_error(L->d, "%s: external tensor of %lld bytes is too large", what,
                          (long long)nbytes);
    }
    /* an empty tensor needs no data: its external file is not opened, nor need it exist */
    if (numel == 0)
        return 0;
    if (external)
        return load_external(L, t, v, nbytes, what);
    unsigned char *data = ir_galloc(g, (size_t)nbytes);
    if (!data)
        return diag_oom(L->d);
    x = &g->val[v];
    x->data = data;
    if (t->has_raw_data)
        memcpy(data, t->raw_data.data, (size_t)nbytes);
    else
        copy_typed(t, x->dt, data, typed);
    return 0;
}

static ValId
const_1d(Loader *L, DType dt, const void *x, int n, int rank)
{
    Graph *g = L->g;
    ValId v = ir_val_add(g, NULL, dt, NULL);
    if (v == NONE) {
        diag_oom(L->d);
        return NONE;
    }
    size_t nb = (size_t)n * ir_dtype_size(dt);
    void *data = nb ? ir_galloc(g, nb) : NULL;
    if (nb && !data) {
        diag_oom(L->d);
        return NONE;
    }
    if (nb)
        memcpy(data, x, nb);
    Value *val = &g->val[v];
    val->rank = rank;
    if (rank == 1)
        val->dim[0] = n;
    val->data = data;
    val->flags = V_CONST;
    return v;
}

ValId
onnx_const_ints(Loader *L, const int64_t *x, int n, int rank)
{
    return const_1d(L, DT_I64, x, n, rank);
}

ValId
onnx_const_floats(Loader *L, const float *x, int n, int rank)
{
    return const_1d(L, DT_F32, x, n, rank);
}

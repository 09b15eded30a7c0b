/*
 * rt_io.h: tensor files for the standalone binary (private to runtime/, and to the tensor
 * reader's fuzz target). Every reader checks the file against the tensor the plan expects and
 * says why it refuses one in err; none allocates more than the caller allows.
 */
#pragma once

#include <stdio.h>

#include "rt.h"

/* "float32", "uint8", ...; "unknown" for a value that is not a DType. */
const char *rt_dtype_name(DType dt);

/* Decodes a TensorProto into dst, which holds want's dtype and shape (rt_tensor_bytes of want);
 * the tensor must have that dtype and as many elements, in raw_data or in the typed field ONNX
 * uses for the dtype, in one of the wire types ONNX writes it with. RT_OK or RT_EINPUT with the
 * reason in err. */
int rt_read_pb(const void *data, size_t size, const RtTensor *want, void *dst, char *err,
               size_t errsz);
/* Writes t as a TensorProto (dims, data_type, name, raw_data). */
int rt_write_pb(FILE *f, const RtTensor *t, const char *name);

/* Decodes a NumPy .npy file (format 1.0, 2.0 or 3.0) into dst as rt_read_pb: little-endian data
 * of want's dtype in C order, of want's shape exactly. RT_OK or RT_EINPUT with the reason. */
int rt_read_npy(const void *data, size_t size, const RtTensor *want, void *dst, char *err,
                size_t errsz);
/* Writes t as a .npy file (format 1.0). RT_EUNSUPPORTED for a dtype NumPy does not have
 * (bfloat16), RT_EIO when writing fails. */
int rt_write_npy(FILE *f, const RtTensor *t);

/* Opens path for reading without blocking and requires a regular file (a FIFO, a device or a
 * folder is refused): the descriptor (close it) and the file's *size; or -1 when it cannot be
 * opened (errno kept; err "cannot read: <strerror>"), -2 when it is not a regular file (err "not
 * a regular file"). */
int rt_open_regular(const char *path, size_t *size, char *err, size_t errsz);
/* Reads the regular file path whole into *data (owned by the caller, free()). A file larger than
 * max bytes is refused before anything is allocated, with its size in *size. RT_OK, RT_EINPUT
 * (cannot open, not a regular file, too large) or RT_ENOMEM, with the reason in err. */
int rt_read_file(const char *path, size_t max, void **data, size_t *size, char *err,
                 size_t errsz);

/*
 * rt_io.h: tensor files for the standalone binary (private to runtime/).
 */
#pragma once

#include <stdio.h>

#include "rt.h"

/* Decodes a TensorProto into dst, which holds want's dtype and shape; the tensor must have that
 * dtype and as many elements. RT_OK or RT_EINPUT with the reason in err. */
int rt_read_pb(const void *data, size_t size, const RtTensor *want, void *dst, char *err,
               size_t errsz);
/* Writes t as a TensorProto (dims, data_type, name, raw_data). */
int rt_write_pb(FILE *f, const RtTensor *t, const char *name);
/* Reads a whole file into *data (owned by the caller, free()). */
int rt_read_file(const char *path, void **data, size_t *size);

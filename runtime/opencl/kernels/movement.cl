/*
 * movement.cl: the data-movement ops (runtime/opencl/movement.c). Nothing here does arithmetic
 * on the data: elements are moved as units of T, an unsigned type of 1, 2, 4 or 8 bytes (a
 * 16-byte element, or an element at an offset not aligned to its size, is several units), so one
 * build per unit size serves every dtype.
 *
 *  - move_copy: the strided copy that Transpose, Slice, Expand, Tile, Concat, Split,
 *    DepthToSpace and SpaceToDepth reduce to. The output region is a box of rank <= 8 dims
 *    (dim.s0 innermost) with a unit stride per dim on each side (the source's may be 0 or
 *    negative); one work-item copies one unit, finding its coordinates by divisions.
 *  - move_pad: Pad, one output unit per work-item: each coordinate maps back into the input as
 *    runtime/cpu/gather.c's pad_map does (the mode is PAD_MODE), or to the constant.
 *  - move_trilu: Trilu, one unit per work-item, kept or zeroed by its row and column.
 *
 * Options: T (the unit type), IDX and IDX8 (int and int8, or long and long8 for huge tensors),
 * and for move_pad PAD_MODE (0 constant, 1 reflect, 2 edge, 3 wrap: PadMode's values).
 * Offsets and strides are in units of T.
 *
 * hetc-ops: Identity Reshape Flatten Squeeze Unsqueeze Dropout Concat Split Slice Transpose
 * hetc-ops: Expand Tile DepthToSpace SpaceToDepth Pad Trilu
 */

/* The unit offsets on both sides of the i-th unit of the box. */
#define STEP(c)                                                                                    \
    if (rank > c) {                                                                                \
        IDX q = r / dim.s##c, k = r - q * dim.s##c;                                                \
        oy += k * sy.s##c;                                                                         \
        ox += k * sx.s##c;                                                                         \
        r = q;                                                                                     \
    }

__kernel void
move_copy(IDX n, int rank, IDX8 dim, __global T *y, IDX oy, IDX8 sy, __global const T *x, IDX ox,
          IDX8 sx)
{
    IDX r = get_global_id(0);
    if (r >= n)
        return;
    STEP(0) STEP(1) STEP(2) STEP(3) STEP(4) STEP(5) STEP(6) STEP(7)
    y[oy] = x[ox];
}

#ifdef PAD_MODE
/* The input index that output index o reads on one axis, or -1 for the constant: lead is the
 * output index of the first kept input element, crop its input index, keep (> 0 unless the
 * mode is constant) how many are kept. */
static IDX
pad_map(IDX o, IDX lead, IDX crop, IDX keep)
{
    IDX i = o - lead;
    if (i >= 0 && i < keep)
        return crop + i;
#if PAD_MODE == 0
    return -1;
#elif PAD_MODE == 1
    IDX per = 2 * (keep - 1); /* reflect: a triangle wave, the edges not repeated */
    i = per == 0 ? 0 : (i % per + per) % per;
    i = i >= keep ? per - i : i;
#elif PAD_MODE == 2
    i = i < 0 ? 0 : keep - 1;
#else
    i = (i % keep + keep) % keep;
#endif
    return crop + i;
}

#define PAD_STEP(c)                                                                                \
    if (rank > c && ix >= 0) {                                                                     \
        IDX q = e / dim.s##c, k = pad_map(e - q * dim.s##c, lead.s##c, crop.s##c, keep.s##c);      \
        ix = k < 0 ? -1 : ix + k * sx.s##c;                                                        \
        e = q;                                                                                     \
    }

/* Output unit i is part i % sub of element i / sub; the output has rank dims dim, the input
 * element strides sx; c holds the constant's bytes (an element of up to 16). */
__kernel void
move_pad(IDX n, int rank, int sub, IDX8 dim, IDX8 lead, IDX8 crop, IDX8 keep, IDX8 sx,
         __global T *y, IDX oy, __global const T *x, IDX ox, ulong2 c)
{
    IDX i = get_global_id(0);
    if (i >= n)
        return;
    IDX e = i / sub, part = i - e * sub, ix = 0;
    PAD_STEP(0) PAD_STEP(1) PAD_STEP(2) PAD_STEP(3) PAD_STEP(4) PAD_STEP(5) PAD_STEP(6)
    PAD_STEP(7)
    if (ix >= 0) {
        y[oy + i] = x[ox + ix * sub + part];
    } else {
        ulong2 cv = c;
        y[oy + i] = ((__private T *)&cv)[part];
    }
}
#endif

/* Trilu over matrices of rows x cols elements of sub units: element (i, j) is kept when
 * j - i >= k (upper) or j - i <= k (lower), else zero; k is clamped so that j - i - k cannot
 * overflow. */
__kernel void
move_trilu(IDX n, int sub, IDX rows, IDX cols, IDX k, int upper, __global T *y, IDX oy,
           __global const T *x, IDX ox)
{
    IDX u = get_global_id(0);
    if (u >= n)
        return;
    IDX e = u / sub, q = e / cols, j = e - q * cols, i = q % rows;
    int keep = upper ? j - i >= k : j - i <= k;
    y[oy + u] = keep ? x[ox + u] : (T)0;
}

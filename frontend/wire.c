/*
 * wire.c: how deeply a protobuf message nests, measured on the wire format before protobuf-c
 * unpacks it. protobuf-c unpacks a nested message by recursion with no limit, so a model of some
 * 30 KB that nests subgraphs thousands deep (GraphProto > NodeProto > AttributeProto > GraphProto
 * > ...) exhausts the stack. The walk here is iterative with a fixed stack and linear in the
 * size: it reads each field's tag, asks the generated descriptor whether the field is a message,
 * and descends into it, or skips the field by its wire type. Bytes that are not valid protobuf
 * end the walk quietly: protobuf-c rejects them before it descends past them.
 */
#include "onnx_impl.h"

/* Reads a varint at *pos below end; 0, or -1 when it is truncated or longer than 10 bytes. */
static int
varint(const uint8_t *p, size_t end, size_t *pos, uint64_t *v)
{
    uint64_t x = 0;
    for (int shift = 0; shift < 70 && *pos < end; shift += 7) {
        uint8_t b = p[(*pos)++];
        x |= (uint64_t)(b & 0x7f) << (shift < 64 ? shift : 63);
        if (!(b & 0x80)) {
            *v = x;
            return 0;
        }
    }
    return -1;
}

int
onnx_wire_depth_ok(const ProtobufCMessageDescriptor *desc, const void *buf, size_t size)
{
    struct {
        size_t end;                             /* where the message's bytes end */
        const ProtobufCMessageDescriptor *desc;
    } st[ONNX_MAX_NESTING + 1];
    const uint8_t *p = buf;
    size_t pos = 0;
    int top = 0;
    st[0].end = size;
    st[0].desc = desc;
    for (;;) {
        if (pos == st[top].end) {
            if (top == 0)
                return 1;
            top--;
            continue;
        }
        uint64_t tag, len, skip;
        if (varint(p, st[top].end, &pos, &tag) < 0)
            return 1;
        switch (tag & 7) {
        case 0:
            if (varint(p, st[top].end, &pos, &skip) < 0)
                return 1;
            continue;
        case 1: skip = 8; break;
        case 5: skip = 4; break;
        case 2: {
            if (varint(p, st[top].end, &pos, &len) < 0 || len > st[top].end - pos)
                return 1;
            uint64_t num = tag >> 3;
            const ProtobufCFieldDescriptor *f = NULL;
            if (num > 0 && num <= UINT32_MAX)
                f = protobuf_c_message_descriptor_get_field(st[top].desc, (unsigned)num);
            if (f && f->type == PROTOBUF_C_TYPE_MESSAGE) {
                if (top == ONNX_MAX_NESTING)
                    return 0;
                top++;
                st[top].end = pos + (size_t)len;
                st[top].desc = f->descriptor;
                continue;
            }
            skip = len;
            break;
        }
        default:
            return 1;           /* groups and invalid wire types: protobuf-c refuses them */
        }
        if (skip > st[top].end - pos)
            return 1;
        pos += (size_t)skip;
    }
}

int
onnx_wire_field(const uint8_t *p, size_t end, size_t *pos, WireField *f)
{
    uint64_t tag, x;
    if (varint(p, end, pos, &tag) < 0 || (tag >> 3) == 0 || (tag >> 3) > UINT32_MAX)
        return -1;
    f->num = (uint32_t)(tag >> 3);
    f->data = NULL;
    f->len = 0;
    f->v = 0;
    switch (tag & 7) {
    case 0: return varint(p, end, pos, &f->v);
    case 1: x = 8; break;
    case 5: x = 4; break;
    case 2:
        if (varint(p, end, pos, &x) < 0)
            return -1;
        f->data = p + *pos;
        f->len = (size_t)x;
        break;
    default: return -1;
    }
    if (x > end - *pos)
        return -1;
    *pos += (size_t)x;
    return 0;
}

# embed_xsd.cmake: turns devices/hetc-devices.xsd into a C string, run at build time as
#   cmake -DXSD=<hetc-devices.xsd> -DOUT=<file.c> -P embed_xsd.cmake
# so that hetc validates descriptions against the schema compiled into it, wherever it is
# installed. Each line of the schema becomes one line of the string.
file(READ "${XSD}" text)
string(REPLACE "\\" "\\\\" text "${text}")
string(REPLACE "\"" "\\\"" text "${text}")
string(REPLACE "\n" "\\n\"\n    \"" text "${text}")
file(WRITE "${OUT}.tmp"
"/* Generated from devices/hetc-devices.xsd by devices/embed_xsd.cmake: do not edit. */
#include <stddef.h>

extern const char target_xsd[];
extern const size_t target_xsd_len;

const char target_xsd[] =
    \"${text}\";
const size_t target_xsd_len = sizeof target_xsd - 1;
")
file(COPY_FILE "${OUT}.tmp" "${OUT}" ONLY_IF_DIFFERENT)
file(REMOVE "${OUT}.tmp")

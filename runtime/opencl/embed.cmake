# embed.cmake: turns the OpenCL kernels into C strings, run at build time as
#   cmake -DKERNELS=<folder of .cl files> -DOUT=<file.c> -P embed.cmake
#   cmake -DKERNELS=<folder of .cl files> -DOUT=<file.c> -DMODE=codegen -P embed.cmake
# OUT gets one string per kernels/<name>.cl and ocl_source(name), which finds one by name. Each
# line of a .cl file becomes one line of the C string, so the generated file stays readable. A line
# #include "<other>.cl" is replaced by that file's text, so kernels can share helpers.
# MODE=codegen makes the compiler's copy instead (codegen writes a plan's NAME.cl from it): the
# table cg_cl_programs of {name, ops, text}, where ops is what follows "hetc-ops:" in the file's
# opening comment (on one or more lines, each starting so): the ONNX ops whose OpenCL code uses
# the program, "eltwise" standing for every elementwise op (a file without such a line is taken
# into every plan).
file(GLOB cl_files "${KERNELS}/*.cl")
list(SORT cl_files)
set(strings "")
set(table "")
set(cgtable "")
foreach(f ${cl_files})
  get_filename_component(name "${f}" NAME_WE)
  file(READ "${f}" text)
  # the file's own "hetc-ops:" lines (before any #include is taken in), joined
  string(REGEX MATCHALL "hetc-ops:[^\n*]*" marks "${text}")
  set(ops "*")
  if(marks)
    string(REPLACE "hetc-ops:" "" ops "${marks}")
    string(REPLACE ";" " " ops "${ops}")
    string(REGEX REPLACE "  +" " " ops "${ops}")
    string(STRIP "${ops}" ops)
  endif()
  string(APPEND cgtable "    { \"${name}\", \"${ops}\", src_${name} },\n")
  # #include "other.cl" takes in that file's text (one level: shared helpers such as fused.cl)
  string(REGEX MATCHALL "#include \"[a-z0-9_]+\\.cl\"" incs "${text}")
  foreach(inc ${incs})
    string(REGEX REPLACE "#include \"([a-z0-9_]+\\.cl)\"" "\\1" iname "${inc}")
    file(READ "${KERNELS}/${iname}" itext)
    string(REPLACE "${inc}" "${itext}" text "${text}")
  endforeach()
  string(REPLACE "\\" "\\\\" text "${text}")
  string(REPLACE "\"" "\\\"" text "${text}")
  string(REPLACE "\n" "\\n\"\n    \"" text "${text}")
  string(APPEND strings "static const char src_${name}[] =\n    \"${text}\";\n\n")
  string(APPEND table "    { \"${name}\", src_${name} },\n")
endforeach()
if(MODE STREQUAL "codegen")
  file(WRITE "${OUT}.tmp"
"/* Generated from runtime/opencl/kernels by runtime/opencl/embed.cmake: do not edit. */
#include \"cg_impl.h\"

${strings}const CgClProgram cg_cl_programs[] = {
${cgtable}};
const int cg_cl_nprograms = (int)(sizeof cg_cl_programs / sizeof cg_cl_programs[0]);
")
else()
file(WRITE "${OUT}.tmp"
"/* Generated from runtime/opencl/kernels by runtime/opencl/embed.cmake: do not edit. */
#include \"opencl/ocl.h\"

#include <string.h>

${strings}static const struct {
    const char *name;
    const char *text;
} sources[] = {
${table}};

const char *
ocl_source(const char *name)
{
    for (size_t i = 0; i < sizeof sources / sizeof sources[0]; i++)
        if (strcmp(sources[i].name, name) == 0)
            return sources[i].text;
    return NULL;
}
")
endif()
# only a changed file is replaced, so an unchanged kernel set rebuilds nothing
file(COPY_FILE "${OUT}.tmp" "${OUT}" ONLY_IF_DIFFERENT)
file(REMOVE "${OUT}.tmp")

# embed.cmake: turns the OpenCL kernels into C strings, run at build time as
#   cmake -DKERNELS=<folder of .cl files> -DOUT=<file.c> -P embed.cmake
# OUT gets one string per kernels/<name>.cl and ocl_source(name), which finds one by name. Each
# line of a .cl file becomes one line of the C string, so the generated file stays readable. A line
# #include "<other>.cl" is replaced by that file's text, so kernels can share helpers.
file(GLOB cl_files "${KERNELS}/*.cl")
list(SORT cl_files)
set(strings "")
set(table "")
foreach(f ${cl_files})
  get_filename_component(name "${f}" NAME_WE)
  file(READ "${f}" text)
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
# only a changed file is replaced, so an unchanged kernel set rebuilds nothing
file(COPY_FILE "${OUT}.tmp" "${OUT}" ONLY_IF_DIFFERENT)
file(REMOVE "${OUT}.tmp")

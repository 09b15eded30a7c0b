# install.cmake: `cmake --install BUILD --prefix PREFIX` puts hetc where an embedding program
# finds it, in the layout codegen expects of an installed copy (the runtime in ../lib and
# ../include/hetc beside the hetc executable's folder):
#
#   PREFIX/bin/hetc                              the compiler
#   PREFIX/lib/libhetc_runtime.a                 the runtime plans link against
#   PREFIX/include/hetc/runtime/...              rt.h, rt_backend.h, opencl/ocl.h, opencl/ops.h
#   PREFIX/include/hetc/ir/...                   attr.h checksum.h opkind.h ops.def scalar.h utf8.h
#   PREFIX/lib/pkgconfig/hetc.pc                 pkg-config --cflags --libs hetc
#   PREFIX/lib/cmake/hetc/hetcConfig.cmake       find_package(hetc): hetc::runtime, hetc::hetc
#   PREFIX/share/hetc/devices/                   the device descriptions and their schema
#
# The headers are the folders the build tree publishes to plans (build/api/runtime and
# build/api/ir-shared), so a plan compiles alike against either. Both package files locate the
# prefix from their own place, so an installed tree can be moved.
include(CMakePackageConfigHelpers)

install(TARGETS hetc RUNTIME DESTINATION bin)
install(TARGETS hetc_runtime ARCHIVE DESTINATION lib)
install(DIRECTORY ${PROJECT_BINARY_DIR}/api/runtime/runtime ${PROJECT_BINARY_DIR}/api/ir-shared/ir
        DESTINATION include/hetc)
# the descriptions are templates to copy and edit; hetc itself carries the schema compiled in
file(GLOB device_files ${PROJECT_SOURCE_DIR}/devices/*.xml ${PROJECT_SOURCE_DIR}/devices/*.xsd)
install(FILES ${device_files} DESTINATION share/hetc/devices)

# what the archive needs at link time, for both package files: OpenBLAS (through pkg-config),
# the OpenCL ICD loader, pthreads and libm
set(HETC_PC_LIBS "-lpthread -lm")
configure_file(${CMAKE_CURRENT_LIST_DIR}/hetc.pc.in ${PROJECT_BINARY_DIR}/pkg/hetc.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/pkg/hetc.pc DESTINATION lib/pkgconfig)

configure_package_config_file(${CMAKE_CURRENT_LIST_DIR}/hetcConfig.cmake.in
                              ${PROJECT_BINARY_DIR}/pkg/hetcConfig.cmake
                              INSTALL_DESTINATION lib/cmake/hetc)
write_basic_package_version_file(${PROJECT_BINARY_DIR}/pkg/hetcConfigVersion.cmake
                                 VERSION ${PROJECT_VERSION} COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/pkg/hetcConfig.cmake
              ${PROJECT_BINARY_DIR}/pkg/hetcConfigVersion.cmake
        DESTINATION lib/cmake/hetc)

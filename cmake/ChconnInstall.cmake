# Installs public headers, the library, an exported CMake package and a pkg-config file.
install(TARGETS chconn EXPORT chconnTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}
  INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
# The codec's packet and framing structs (include/chconn/wire/detail/) are chconn's own business:
# no installed header includes them, so they are not installed.
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/chconn DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
  FILES_MATCHING PATTERN "*.h" PATTERN "detail" EXCLUDE)
install(EXPORT chconnTargets NAMESPACE chconn:: DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/chconn)
# chconnConfig.cmake looks for the private dependencies only when they are needed (static).
if(BUILD_SHARED_LIBS)
  set(CHCONN_SHARED_BOOL TRUE)
else()
  set(CHCONN_SHARED_BOOL FALSE)
endif()
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/chconnConfig.cmake.in
  ${PROJECT_BINARY_DIR}/chconnConfig.cmake INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/chconn)
write_basic_package_version_file(${PROJECT_BINARY_DIR}/chconnConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/chconnConfig.cmake ${PROJECT_BINARY_DIR}/chconnConfigVersion.cmake
  DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/chconn)
# Requires.private: `pkg-config --static --libs chconn` adds them (a static archive needs them at the
# consumer's link step; a shared library records them itself).
set(CHCONN_PC_REQUIRES_PRIVATE "liblz4 libzstd libcares openssl")
if(BUILD_SHARED_LIBS)
  set(CHCONN_PC_PRIVATE_LIBS "")
else()
  set(CHCONN_PC_PRIVATE_LIBS "-pthread")
endif()
# Relocatable: the prefix is found from the .pc file's own place (${pcfiledir}), so an install with
# `cmake --install BUILD --prefix P` (a prefix other than the configured one) is still right.
if(IS_ABSOLUTE "${CMAKE_INSTALL_LIBDIR}")
  set(CHCONN_PC_PREFIX "${CMAKE_INSTALL_PREFIX}")
else()
  file(RELATIVE_PATH _chconn_pc_up "/prefix/${CMAKE_INSTALL_LIBDIR}/pkgconfig" "/prefix")
  string(REGEX REPLACE "/$" "" _chconn_pc_up "${_chconn_pc_up}")
  set(CHCONN_PC_PREFIX "\${pcfiledir}/${_chconn_pc_up}")
endif()
configure_file(${PROJECT_SOURCE_DIR}/cmake/chconn.pc.in ${PROJECT_BINARY_DIR}/chconn.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/chconn.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
if(CHCONN_BUILD_TOOLS)
  install(TARGETS chconn_cli RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
endif()

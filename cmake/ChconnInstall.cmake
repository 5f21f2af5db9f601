# Installs public headers, the library, an exported CMake package and a pkg-config file.
install(TARGETS chconn EXPORT chconnTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}
  INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/chconn DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
  FILES_MATCHING PATTERN "*.h")
install(EXPORT chconnTargets NAMESPACE chconn:: DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/chconn)
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/chconnConfig.cmake.in
  ${PROJECT_BINARY_DIR}/chconnConfig.cmake INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/chconn)
write_basic_package_version_file(${PROJECT_BINARY_DIR}/chconnConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/chconnConfig.cmake ${PROJECT_BINARY_DIR}/chconnConfigVersion.cmake
  DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/chconn)
if(BUILD_SHARED_LIBS)
  set(CHCONN_PC_PRIVATE_LIBS "")
  set(CHCONN_PC_REQUIRES_PRIVATE "liblz4 libzstd openssl")
else()
  set(CHCONN_PC_PRIVATE_LIBS "-pthread")
  set(CHCONN_PC_REQUIRES_PRIVATE "liblz4 libzstd openssl")
endif()
configure_file(${PROJECT_SOURCE_DIR}/cmake/chconn.pc.in ${PROJECT_BINARY_DIR}/chconn.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/chconn.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
if(CHCONN_BUILD_TOOLS)
  install(TARGETS chconn_cli RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
endif()

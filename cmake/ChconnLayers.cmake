# chconn_layer(NAME [LOWER_LAYER...]) declares the OBJECT library chconn_NAME from src/NAME/*.cpp.
# It sees the public headers and the private src/ tree; it links only the layers passed after NAME,
# which must be the layers below it in DESIGN.md (scripts/check-layers checks the includes).
set(CHCONN_LAYERS "")
function(chconn_layer name)
  file(GLOB_RECURSE _sources CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/src/${name}/*.cpp)
  if(NOT _sources)
    # A layer with no code yet still exists, so the layers above can name it.
    add_library(chconn_${name} INTERFACE)
    target_include_directories(chconn_${name} INTERFACE $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/include>)
    foreach(lower IN LISTS ARGN)
      target_link_libraries(chconn_${name} INTERFACE chconn_${lower})
    endforeach()
    return()
  endif()
  add_library(chconn_${name} OBJECT ${_sources})
  target_compile_features(chconn_${name} PUBLIC cxx_std_20)
  target_include_directories(chconn_${name}
    PUBLIC $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/include>
    PRIVATE ${PROJECT_SOURCE_DIR}/src)
  set_target_properties(chconn_${name} PROPERTIES POSITION_INDEPENDENT_CODE ON)
  target_link_libraries(chconn_${name} PRIVATE chconn_warnings chconn_sanitizers)
  foreach(lower IN LISTS ARGN)
    target_link_libraries(chconn_${name} PUBLIC chconn_${lower})
  endforeach()
  set(CHCONN_LAYERS ${CHCONN_LAYERS} ${name} PARENT_SCOPE)
endfunction()

# chconn_layer_link(NAME DEPS...): external libraries a layer uses (PUBLIC, or INTERFACE while the
# layer has no code yet).
function(chconn_layer_link name)
  get_target_property(_type chconn_${name} TYPE)
  if(_type STREQUAL "INTERFACE_LIBRARY")
    target_link_libraries(chconn_${name} INTERFACE ${ARGN})
  else()
    target_link_libraries(chconn_${name} PUBLIC ${ARGN})
  endif()
endfunction()

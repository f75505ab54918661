include(GoogleTest)

# Small helpers so each stage's CMakeLists.txt stays a few declarative lines.

# aoizora_library(<stage> SOURCES a.cc b.cc DEPS aoizora_util ...)
# Defines the static library aoizora_<stage>, with include root cpp/ (so code includes
# "aoizora/<stage>/<file>.h").
function(aoizora_library stage)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_library(aoizora_${stage} STATIC ${ARG_SOURCES})
  target_include_directories(aoizora_${stage} PUBLIC ${PROJECT_SOURCE_DIR}/cpp)
  target_link_libraries(aoizora_${stage} PUBLIC ${ARG_DEPS})
endfunction()

# aoizora_test(<name> SOURCES x_test.cc DEPS aoizora_<stage>)
# A gtest executable registered with ctest. Tests find fixtures through the AOIZORA_SOURCE_DIR
# environment variable (the repository root).
function(aoizora_test name)
  if(NOT AOIZORA_BUILD_TESTS)
    return()
  endif()
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} GTest::gtest GTest::gtest_main)
  # One ctest entry per gtest case, so the suite summary counts cases, not executables.
  gtest_discover_tests(${name} DISCOVERY_TIMEOUT 60
    PROPERTIES ENVIRONMENT "AOIZORA_SOURCE_DIR=${PROJECT_SOURCE_DIR}")
endfunction()

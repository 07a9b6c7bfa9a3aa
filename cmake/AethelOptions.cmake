# Compiler settings shared by every target of ours. Third-party headers are
# included as SYSTEM so that -Werror applies to our code only.

set(AETHEL_WARNINGS
  -Wall -Wextra -Wpedantic -Werror
  -Wshadow -Wconversion -Wsign-conversion -Wnon-virtual-dtor
  -Wold-style-cast -Woverloaded-virtual -Wimplicit-fallthrough
  -Wnull-dereference -Wformat=2)

if(AETHEL_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer
                      -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=address,undefined)
endif()

if(AETHEL_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "AETHEL_FUZZ needs clang (-DCMAKE_CXX_COMPILER=clang++)")
  endif()
  add_compile_options(-fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer)
  add_link_options(-fsanitize=address,undefined)
endif()

# aethel_component(NAME SOURCES... DEPS ...): one static library per component.
function(aethel_component name)
  cmake_parse_arguments(ARG "" "" "SOURCES;PUBLIC_DEPS;PRIVATE_DEPS" ${ARGN})
  add_library(aethel_${name} STATIC ${ARG_SOURCES})
  add_library(aethel::${name} ALIAS aethel_${name})
  target_include_directories(aethel_${name} PUBLIC ${PROJECT_SOURCE_DIR}/src)
  target_compile_options(aethel_${name} PRIVATE ${AETHEL_WARNINGS})
  target_link_libraries(aethel_${name} PUBLIC ${ARG_PUBLIC_DEPS} PRIVATE ${ARG_PRIVATE_DEPS})
endfunction()

# aethel_executable(NAME SOURCES... DEPS ...)
function(aethel_executable name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_compile_options(${name} PRIVATE ${AETHEL_WARNINGS})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS})
endfunction()

# aethel_test(NAME SOURCES... DEPS ...): one GoogleTest binary, each test case
# registered with CTest.
function(aethel_test name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_compile_options(${name} PRIVATE ${AETHEL_WARNINGS} -Wno-sign-conversion -Wno-conversion)
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} GTest::gtest GTest::gtest_main)
  include(GoogleTest)
  gtest_discover_tests(${name} WORKING_DIRECTORY ${PROJECT_SOURCE_DIR} DISCOVERY_TIMEOUT 60
                       PROPERTIES ENVIRONMENT "AETHEL_SOURCE_DIR=${PROJECT_SOURCE_DIR}")
endfunction()

# aethel_fuzz_target(NAME SOURCES... DEPS ...): a libFuzzer binary.
function(aethel_fuzz_target name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_compile_options(${name} PRIVATE ${AETHEL_WARNINGS})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS})
  target_link_options(${name} PRIVATE -fsanitize=fuzzer)
endfunction()

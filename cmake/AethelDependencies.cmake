# Every dependency comes from a Debian 12 package; scripts/setup.sh installs them.
find_package(Threads REQUIRED)
find_package(OpenSSL 3 REQUIRED)
find_package(PkgConfig REQUIRED)
pkg_check_modules(SODIUM REQUIRED IMPORTED_TARGET libsodium)
find_package(nlohmann_json 3.11 REQUIRED)
find_package(CLI11 REQUIRED)
find_package(fmt REQUIRED)

# libz3-dev ships no CMake package: find the header and library directly.
find_path(Z3_INCLUDE_DIR z3++.h REQUIRED)
find_library(Z3_LIBRARY z3 REQUIRED)
add_library(z3::z3 UNKNOWN IMPORTED)
set_target_properties(z3::z3 PROPERTIES
  IMPORTED_LOCATION ${Z3_LIBRARY}
  INTERFACE_INCLUDE_DIRECTORIES ${Z3_INCLUDE_DIR})

if(AETHEL_TESTS)
  find_package(GTest REQUIRED)
  find_package(rapidcheck REQUIRED)
endif()

# RocksDB: Debian 12 ships 7.8 with a CMake package. Its shared library is
# preferred (the static one drags in every compression library at each link);
# when the package config is missing or broken, find the header and library.
find_package(RocksDB 7.8 CONFIG QUIET)
if(TARGET RocksDB::rocksdb-shared)
  add_library(aethel_rocksdb INTERFACE IMPORTED)
  target_link_libraries(aethel_rocksdb INTERFACE RocksDB::rocksdb-shared)
elseif(TARGET RocksDB::rocksdb)
  add_library(aethel_rocksdb INTERFACE IMPORTED)
  target_link_libraries(aethel_rocksdb INTERFACE RocksDB::rocksdb)
else()
  find_path(ROCKSDB_INCLUDE_DIR rocksdb/db.h REQUIRED)
  find_library(ROCKSDB_LIBRARY rocksdb REQUIRED)
  add_library(aethel_rocksdb UNKNOWN IMPORTED)
  set_target_properties(aethel_rocksdb PROPERTIES
    IMPORTED_LOCATION ${ROCKSDB_LIBRARY}
    INTERFACE_INCLUDE_DIRECTORIES ${ROCKSDB_INCLUDE_DIR})
endif()

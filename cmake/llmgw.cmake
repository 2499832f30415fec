# llmgw_test(<name> SOURCES a_test.cc ... LIBS lib ...)
# One test binary, registered with CTest as one test. Tests that need PostgreSQL read
# LLMGW_TEST_DATABASE_URL (set by scripts/test); see libs/testing/pg_test_db.h.
function(llmgw_test name)
  cmake_parse_arguments(T "" "" "SOURCES;LIBS" ${ARGN})
  add_executable(${name} ${T_SOURCES})
  target_link_libraries(${name} PRIVATE ${T_LIBS} GTest::gmock GTest::gtest GTest::gmock_main)
  add_test(NAME ${name} COMMAND ${name})
  set_tests_properties(${name} PROPERTIES TIMEOUT 600)
endfunction()

# llmgw_embed_migrations(<target> <schema> <dir>)
# Compiles every <dir>/NNN_name.sql into <target> as llmgw::pg::Migration values, returned by
# `const std::vector<llmgw::pg::Migration>& <schema>Migrations()` in namespace llmgw::<schema>.
function(llmgw_embed_migrations target schema dir)
  file(GLOB sql_files CONFIGURE_DEPENDS "${dir}/*.sql")
  list(SORT sql_files)
  # An edited migration is embedded again (the glob notices only added and removed files).
  set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${sql_files})
  set(body "")
  foreach(f ${sql_files})
    get_filename_component(fname ${f} NAME_WE)
    string(REGEX MATCH "^([0-9]+)_(.*)$" _ ${fname})
    set(version ${CMAKE_MATCH_1})
    set(mname ${CMAKE_MATCH_2})
    math(EXPR version "${version} + 0")
    file(READ ${f} sql)
    string(APPEND body "      {${version}, \"${mname}\", R\"llmgwsql(${sql})llmgwsql\"},\n")
  endforeach()
  set(out "${CMAKE_CURRENT_BINARY_DIR}/${schema}_migrations.cc")
  file(CONFIGURE OUTPUT ${out} CONTENT
"// Generated from ${dir} by llmgw_embed_migrations; do not edit.
#include <vector>

#include \"libs/pg/migrate.h\"

namespace llmgw::${schema} {
const std::vector<llmgw::pg::Migration>& ${schema}Migrations() {
  static const std::vector<llmgw::pg::Migration> kMigrations = {
${body}  };
  return kMigrations;
}
}  // namespace llmgw::${schema}
" @ONLY)
  target_sources(${target} PRIVATE ${out})
endfunction()

# llmgw_embed_text(<target> <namespace> <function> <file>)
# Compiles <file> into <target> as `std::string_view <namespace>::<function>()`, so a binary
# carries its data (the price catalog) and needs no file at run time. Rebuilt when <file> changes.
function(llmgw_embed_text target namespace function file)
  set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${file})
  file(READ ${file} content)
  set(out "${CMAKE_CURRENT_BINARY_DIR}/${function}_embedded.cc")
  file(WRITE "${out}.tmp"
"// Generated from ${file} by llmgw_embed_text; do not edit.
#include <string_view>

namespace ${namespace} {
std::string_view ${function}() {
  static constexpr std::string_view kText = R\"llmgwtext(${content})llmgwtext\";
  return kText;
}
}  // namespace ${namespace}
")
  configure_file("${out}.tmp" ${out} COPYONLY)
  target_sources(${target} PRIVATE ${out})
endfunction()

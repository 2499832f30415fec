# cmake -P script: writes a C++ file holding the given files as raw string literals (the
# dashboard's web assets, see services/dashboard/CMakeLists.txt), rewritten only when its content
# differs. -DOUT=<file.cc> -DFILES=<path>|<path>|...  (the name served is each file's base name)
string(REPLACE "|" ";" files "${FILES}")
set(body "")
foreach(f ${files})
  get_filename_component(fname ${f} NAME)
  file(READ ${f} content)
  string(FIND "${content}" ")llmgwweb\"" clash)
  if(NOT clash EQUAL -1)
    message(FATAL_ERROR "${f} contains the raw-string delimiter )llmgwweb\"")
  endif()
  string(APPEND body "    {\"${fname}\", R\"llmgwweb(${content})llmgwweb\"},\n")
endforeach()
file(WRITE "${OUT}.tmp"
"// Generated from services/dashboard/web by CMake; do not edit.
#include <string_view>

#include \"services/dashboard/api/web_assets.h\"

namespace llmgw::dashboard {
namespace {
const WebAsset kAssets[] = {
${body}};
}  // namespace

const WebAsset* FindWebAsset(std::string_view name) {
  for (const WebAsset& a : kAssets) {
    if (a.name == name) return &a;
  }
  return nullptr;
}
}  // namespace llmgw::dashboard
")
file(COPY_FILE "${OUT}.tmp" "${OUT}" ONLY_IF_DIFFERENT)
file(REMOVE "${OUT}.tmp")

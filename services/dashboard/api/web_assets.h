#pragma once
// The web UI's files (services/dashboard/web/), embedded into the binary at build time by
// CMake (see CMakeLists.txt): no files to deploy beside the binary.

#include <string_view>

namespace llmgw::dashboard {

struct WebAsset {
  std::string_view name;  // file name under web/, e.g. "index.html", "app.js"
  std::string_view body;
};

// Every embedded file; nullptr-free, in no particular order.
const WebAsset* FindWebAsset(std::string_view name);

}  // namespace llmgw::dashboard

// The start line and fields of an HTTP/1.x message as one string, byte for byte what Beast's
// serializer writes for them. Sending that string and the body as two plain buffers costs a
// fraction of http::async_write's buffer-sequence iterators, on both hops of every request.
#pragma once

#include <boost/beast/http/message.hpp>
#include <string>

namespace llmgw::httpd {

template <bool kIsRequest, class Fields>
std::string SerializeHead(const boost::beast::http::header<kIsRequest, Fields>& h) {
  std::string out;
  out.reserve(512);
  auto append_version = [&] {
    out.append("HTTP/");
    out.push_back(static_cast<char>('0' + h.version() / 10));
    out.push_back('.');
    out.push_back(static_cast<char>('0' + h.version() % 10));
  };
  if constexpr (kIsRequest) {
    out.append(h.method_string());
    out.push_back(' ');
    out.append(h.target());
    out.push_back(' ');
    append_version();
  } else {
    append_version();
    out.push_back(' ');
    out.append(std::to_string(h.result_int()));
    out.push_back(' ');
    out.append(h.reason());
  }
  out.append("\r\n");
  for (const auto& f : h) {
    out.append(f.name_string());
    out.append(": ");
    out.append(f.value());
    out.append("\r\n");
  }
  out.append("\r\n");
  return out;
}

}  // namespace llmgw::httpd

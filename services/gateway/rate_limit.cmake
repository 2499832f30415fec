# Rate limits (issue 16): gateway_rate_limit (clients/rate_limiter: in-process, or shared in Redis
# through hiredis, with the local fallback) and its tests. Included by services/gateway/CMakeLists.txt.
add_library(gateway_rate_limit ${CMAKE_CURRENT_LIST_DIR}/clients/rate_limiter.cc)
target_link_libraries(gateway_rate_limit PUBLIC gateway_domain prometheus-cpp::core
  PRIVATE PkgConfig::HIREDIS)

# The Redis tests run when LLMGW_TEST_REDIS_URL is set (scripts/test starts a throwaway Redis);
# the fallback test starts and kills its own redis-server.
llmgw_test(gateway_rate_limit_test
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/clients/rate_limiter_test.cc
  LIBS gateway_rate_limit PkgConfig::HIREDIS)

# Reseller mode: api/reseller_handler (POST /api/v1/chat/completions, GET /api/v1/models) and
# clients/billing_client (holds, settles, voids). Included by services/gateway/CMakeLists.txt.
# The billing client is a library of its own: bench/billing_load drives billing through it.
add_library(gateway_billing_client ${CMAKE_CURRENT_LIST_DIR}/clients/billing_client.cc)
target_link_libraries(gateway_billing_client PUBLIC gateway_domain llmgw_proto llmgw_grpc)

add_library(gateway_reseller
  ${CMAKE_CURRENT_LIST_DIR}/api/chat_surface.cc
  ${CMAKE_CURRENT_LIST_DIR}/api/embeddings_surface.cc
  ${CMAKE_CURRENT_LIST_DIR}/api/messages_surface.cc
  ${CMAKE_CURRENT_LIST_DIR}/api/reseller_handler.cc
  ${CMAKE_CURRENT_LIST_DIR}/api/responses_surface.cc
  ${CMAKE_CURRENT_LIST_DIR}/clients/settle_queue.cc)
target_link_libraries(gateway_reseller PUBLIC gateway_api gateway_clients gateway_spool
  gateway_billing_client)

llmgw_test(gateway_reseller_test
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/api/reseller_handler_test.cc
          ${CMAKE_CURRENT_LIST_DIR}/clients/billing_client_test.cc
          ${PROJECT_SOURCE_DIR}/services/billing/storage/billing_invariants.cc
  LIBS gateway_reseller billing_api llmgw_testing)

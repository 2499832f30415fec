# Durable usage-event delivery to metering (clients/usage_shipper, storage/spool_file).
# Included from services/gateway/CMakeLists.txt; paths are absolute so any project can include it.
set(LLMGW_SHIPPER_DIR ${CMAKE_CURRENT_LIST_DIR})
get_filename_component(LLMGW_SHIPPER_ROOT ${CMAKE_CURRENT_LIST_DIR}/../.. ABSOLUTE)

add_library(gateway_spool ${LLMGW_SHIPPER_DIR}/storage/spool_file.cc
  ${LLMGW_SHIPPER_DIR}/storage/dead_letters.cc
  ${LLMGW_SHIPPER_DIR}/storage/journal.cc)
target_include_directories(gateway_spool PUBLIC ${LLMGW_SHIPPER_ROOT})
target_link_libraries(gateway_spool PUBLIC llmgw_common)

add_library(gateway_usage_shipper ${LLMGW_SHIPPER_DIR}/clients/usage_shipper.cc
  ${LLMGW_SHIPPER_DIR}/clients/usage_journal.cc)
target_link_libraries(gateway_usage_shipper PUBLIC
  gateway_spool llmgw_proto llmgw_grpc llmgw_metrics)

llmgw_test(gateway_usage_shipper_test
  SOURCES ${LLMGW_SHIPPER_DIR}/storage/spool_file_test.cc
          ${LLMGW_SHIPPER_DIR}/storage/dead_letters_test.cc
          ${LLMGW_SHIPPER_DIR}/storage/journal_test.cc
          ${LLMGW_SHIPPER_DIR}/clients/usage_shipper_test.cc
          ${LLMGW_SHIPPER_DIR}/clients/usage_journal_test.cc
          ${LLMGW_SHIPPER_DIR}/clients/settle_queue_test.cc
  LIBS gateway_usage_shipper gateway_reseller gateway_spool llmgw_grpc llmgw_proto llmgw_testing)

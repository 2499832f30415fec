#pragma once
// The operator's price commands (LLMGW_DATABASE_URL; migrations applied first):
//   llmgw-billing prices list [--provider P] [--model M] [--history]
//       the rows in effect now and the scheduled ones (or one model's every row with --history),
//       one JSON object per line
//   llmgw-billing prices set --provider P --model M --input USD --output USD [--cached-input USD]
//       [--cache-write USD] [--cache-write-1h USD] [--max-output-tokens N] [--kind chat]
//       [--tier-above-input-tokens N --tier-input USD --tier-output USD ...]
//       [--effective-from RFC3339] [--set-by WHO] [--note TEXT]
//       adds an override row (prices in USD per 1M tokens); prints it
//   llmgw-billing prices import FILE
//       adds the override rows of a CSV file (header below), all or none; prints them
// An override wins over the catalog for its model id (and its dated snapshots) from its
// effective time on. Nothing is ever updated in place: every change is a new dated row.

#include <ostream>
#include <string>
#include <vector>

namespace llmgw::billing {

// The header `prices import` requires, in this order (optional columns may be left empty).
inline constexpr char kPriceCsvHeader[] =
    "provider,model,input,cached_input,cache_write,cache_write_1h,output,max_output_tokens,"
    "effective_from,note";

// `args` are the arguments after "prices". Returns the exit code: 0 done, 2 bad arguments or input
// (why on `err`), 1 the database failed.
int RunPricesCommand(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace llmgw::billing

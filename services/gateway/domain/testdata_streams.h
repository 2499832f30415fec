#pragma once
// Provider responses shaped like the real ones (WIRE.md), shared by the domain tests.

namespace llmgw::gateway::testdata {

// OpenAI chat completion stream with include_usage: a comment, usage:null chunks, the extra
// "choices":[] usage chunk, [DONE].
inline constexpr char kOpenAIStream[] =
    "data: {\"id\":\"chatcmpl-9\",\"object\":\"chat.completion.chunk\",\"created\":1718000000,"
    "\"model\":\"gpt-4o-mini-2024-07-18\",\"system_fingerprint\":\"fp_1\",\"choices\":[{\"index\":"
    "0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"},\"logprobs\":null,\"finish_reason\":"
    "null}],\"usage\":null}\n\n"
    ": keep-alive\n\n"
    "data: {\"id\":\"chatcmpl-9\",\"object\":\"chat.completion.chunk\",\"created\":1718000000,"
    "\"model\":\"gpt-4o-mini-2024-07-18\",\"choices\":[{\"index\":0,\"delta\":{\"content\":"
    "\"Hello\\n\\nworld\"},\"logprobs\":null,\"finish_reason\":null}],\"usage\":null}\n\n"
    "data: {\"id\":\"chatcmpl-9\",\"object\":\"chat.completion.chunk\",\"created\":1718000000,"
    "\"model\":\"gpt-4o-mini-2024-07-18\",\"choices\":[{\"index\":0,\"delta\":{},\"logprobs\":"
    "null,\"finish_reason\":\"stop\"}],\"usage\":null}\n\n"
    "data: {\"id\":\"chatcmpl-9\",\"object\":\"chat.completion.chunk\",\"created\":1718000000,"
    "\"model\":\"gpt-4o-mini-2024-07-18\",\"choices\":[],\"usage\":{\"prompt_tokens\":1200,"
    "\"completion_tokens\":300,\"total_tokens\":1500,\"prompt_tokens_details\":{\"cached_tokens\":"
    "1024,\"audio_tokens\":0},\"completion_tokens_details\":{\"reasoning_tokens\":0,"
    "\"audio_tokens\":0,\"accepted_prediction_tokens\":0,\"rejected_prediction_tokens\":0}}}\n\n"
    "data: [DONE]\n\n";
inline constexpr int kOpenAIStreamUsageEvent = 4;  // index of the "choices":[] chunk

// Gemini's OpenAI-compatible endpoint: running usage totals on every chunk.
inline constexpr char kGoogleStream[] =
    "data: {\"choices\":[{\"delta\":{\"content\":\"Hi\",\"role\":\"assistant\"},\"index\":0}],"
    "\"created\":1718000000,\"id\":\"gx\",\"model\":\"gemini-1.5-flash\",\"object\":"
    "\"chat.completion.chunk\",\"usage\":{\"completion_tokens\":1,\"prompt_tokens\":8,"
    "\"total_tokens\":9}}\n\n"
    "data: {\"choices\":[{\"delta\":{\"content\":\" there, how\",\"role\":\"assistant\"},"
    "\"index\":0}],\"created\":1718000000,\"id\":\"gx\",\"model\":\"gemini-1.5-flash\","
    "\"object\":\"chat.completion.chunk\",\"usage\":{\"completion_tokens\":4,\"prompt_tokens\":8,"
    "\"total_tokens\":12}}\n\n"
    "data: {\"choices\":[{\"delta\":{\"content\":\" are you?\",\"role\":\"assistant\"},"
    "\"finish_reason\":\"stop\",\"index\":0}],\"created\":1718000000,\"id\":\"gx\",\"model\":"
    "\"gemini-1.5-flash\",\"object\":\"chat.completion.chunk\",\"usage\":{\"completion_tokens\":"
    "7,\"prompt_tokens\":8,\"total_tokens\":15}}\n\n"
    "data: [DONE]\n\n";

// Anthropic Messages stream with prompt caching, a ping and two cumulative message_deltas.
inline constexpr char kAnthropicStream[] =
    "event: message_start\n"
    "data: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_01\",\"type\":\"message\","
    "\"role\":\"assistant\",\"model\":\"claude-3-5-sonnet-20241022\",\"content\":[],"
    "\"stop_reason\":null,\"stop_sequence\":null,\"usage\":{\"input_tokens\":25,"
    "\"cache_creation_input_tokens\":100,\"cache_read_input_tokens\":50,\"output_tokens\":1}}}\n\n"
    "event: content_block_start\n"
    "data: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\","
    "\"text\":\"\"}}\n\n"
    "event: ping\n"
    "data: {\"type\": \"ping\"}\n\n"
    "event: content_block_delta\n"
    "data: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\","
    "\"text\":\"Hello\"}}\n\n"
    "event: content_block_stop\n"
    "data: {\"type\":\"content_block_stop\",\"index\":0}\n\n"
    "event: message_delta\n"
    "data: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":null,\"stop_sequence\":null},"
    "\"usage\":{\"output_tokens\":5}}\n\n"
    "event: message_delta\n"
    "data: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\",\"stop_sequence\":"
    "null},\"usage\":{\"output_tokens\":12}}\n\n"
    "event: message_stop\n"
    "data: {\"type\":\"message_stop\"}\n\n";

}  // namespace llmgw::gateway::testdata

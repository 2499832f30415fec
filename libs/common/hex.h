#pragma once
// Hexadecimal digits, as percent-encoding (%XX) and JSON escapes (\uXXXX) spell them.

namespace llmgw::hex {

// The value of one hex digit (either case), or -1 when `c` is not one.
constexpr int DigitValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

static_assert(DigitValue('0') == 0 && DigitValue('9') == 9 && DigitValue('a') == 10 &&
              DigitValue('F') == 15 && DigitValue('g') == -1 && DigitValue('%') == -1);

}  // namespace llmgw::hex

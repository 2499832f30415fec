// Number, money and time formatting. Money stays a decimal string (or BigInt nano-USD): never a float.

export const fmt = {
  int: (n) => Number(n).toLocaleString('en-US'),
  // "12.345000000" → "$12.345", "0.000008550" → "$0.00000855": trailing zeros trimmed, at least
  // two decimals, every significant digit kept (per-request costs are fractions of a cent); the
  // string is never parsed into a float.
  usd(s) {
    let str = String(s);
    const neg = str.startsWith('-');
    if (neg) str = str.slice(1);
    let [whole, frac = ''] = str.split('.');
    frac = frac.replace(/0+$/, '');
    if (frac.length < 2) frac = frac.padEnd(2, '0');
    whole = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
    return `${neg ? '-' : ''}$${whole}.${frac}`;
  },
  time: (s) => (s ? new Date(s).toLocaleString() : '—'),
};
// export) beside what llmgw metered, per day and model. Money stays integer nano-USD (BigInt)
// until it is formatted.

export const nano = {
  sum: (rows, field) => rows.reduce((acc, r) => acc + BigInt(r[field]), 0n),
  // BigInt nano-USD → the API's decimal USD string ("-0.000000005").
  usd(n) {
    const neg = n < 0n;
    const a = neg ? -n : n;
    return `${neg ? '-' : ''}${a / 1000000000n}.${String(a % 1000000000n).padStart(9, '0')}`;
  },
};

export function utcDate(d) { return d.toISOString().slice(0, 10); }

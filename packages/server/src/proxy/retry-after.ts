/**
 * How long a provider asks us to wait, from its Retry-After header (RFC 9110 §10.2.3): delta-seconds (`120`) or
 * an HTTP-date. undefined when absent or unreadable (negative, fractional, a stray word); 0 for a date already
 * past. A repeated header counts by its first value.
 */
export function retryAfterMs(value: string | string[] | undefined, nowMs: number): number | undefined {
  const text = (Array.isArray(value) ? value[0] : value)?.trim();
  if (!text) return undefined;
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const date = httpDate(text, nowMs);
  return date === undefined ? undefined : Math.max(0, date - nowMs);
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const DAY = '(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)';
const LONG_DAY = '(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)';
const MONTH = `(${MONTHS.join('|')})`;
const TIME = '(\\d{2}):(\\d{2}):(\\d{2})';
// IMF-fixdate, and the two obsolete forms recipients must still accept (RFC 9110 §5.6.7). All are GMT.
const IMF_FIXDATE = new RegExp(`^${DAY}, (\\d{2}) ${MONTH} (\\d{4}) ${TIME} GMT$`);
const RFC_850 = new RegExp(`^${LONG_DAY}, (\\d{2})-${MONTH}-(\\d{2}) ${TIME} GMT$`);
const ASCTIME = new RegExp(`^${DAY} ${MONTH} ([ \\d]\\d) ${TIME} (\\d{4})$`);

/** An HTTP-date in epoch ms. Strict on purpose: Date.parse reads `1` or `2024` as dates, and asctime as local time. */
function httpDate(text: string, nowMs: number): number | undefined {
  let parts: { day: string; month: string; year: number; hour: string; minute: string; second: string };
  let match: RegExpExecArray | null;
  if ((match = IMF_FIXDATE.exec(text))) {
    const [, day = '', month = '', year = '', hour = '', minute = '', second = ''] = match;
    parts = { day, month, year: Number(year), hour, minute, second };
  } else if ((match = RFC_850.exec(text))) {
    const [, day = '', month = '', year = '', hour = '', minute = '', second = ''] = match;
    // Two-digit years: RFC 9110 says one more than 50 years ahead is in the past century.
    const short = Number(year);
    const currentYear = new Date(nowMs).getUTCFullYear();
    let full = Math.floor(currentYear / 100) * 100 + short;
    if (full > currentYear + 50) full -= 100;
    parts = { day, month, year: full, hour, minute, second };
  } else if ((match = ASCTIME.exec(text))) {
    const [, month = '', day = '', hour = '', minute = '', second = '', year = ''] = match;
    parts = { day: day.trim(), month, year: Number(year), hour, minute, second };
  } else {
    return undefined;
  }
  const [day, hour, minute, second] = [parts.day, parts.hour, parts.minute, parts.second].map(Number) as [number, number, number, number];
  const month = MONTHS.indexOf(parts.month);
  if (day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) return undefined;
  const ms = Date.UTC(parts.year, month, day, hour, minute, Math.min(second, 59));
  // Date.UTC rolls 31 Feb over into March; such a date is garbage, not a date.
  return new Date(ms).getUTCDate() === day ? ms : undefined;
}

// China has one time zone and no daylight saving: every date a person reads is Beijing time,
// whatever the server's own zone.
const CHINA_TIME = new Intl.DateTimeFormat('sv-SE', {
  timeZone: 'Asia/Shanghai',
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  hourCycle: 'h23',
});

/** "2026-11-27 18:42" in Beijing time. */
export function formatChinaTime(at: Date): string {
  return CHINA_TIME.format(at);
}

const CHINA_OFFSET_HOURS = 8;
const LOCAL_TIME = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2}))?$/;

/**
 * A time a person typed in China ("2026-11-29T20:00", what `<input type="datetime-local">`
 * sends) as the instant it names, or undefined if it is not a real time of that shape. Read as
 * the server's own zone it would be eight hours off on a server running in UTC.
 */
export function parseChinaLocalTime(text: string): Date | undefined {
  const parts = LOCAL_TIME.exec(text.trim());
  if (!parts) return undefined;
  const [year, month, day, hour, minute, second] = parts.slice(1).map((p) => Number(p ?? 0));
  const at = new Date(
    Date.UTC(year!, month! - 1, day!, hour! - CHINA_OFFSET_HOURS, minute!, second),
  );
  // Date.UTC rolls 2026-02-30 over to March: such a date was never a real one.
  const back = new Date(at.getTime() + CHINA_OFFSET_HOURS * 3600_000);
  const real =
    back.getUTCFullYear() === year &&
    back.getUTCMonth() === month! - 1 &&
    back.getUTCDate() === day &&
    back.getUTCHours() === hour &&
    back.getUTCMinutes() === minute;
  return real ? at : undefined;
}

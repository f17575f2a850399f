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

const CHINA_DAY = new Intl.DateTimeFormat('sv-SE', {
  timeZone: 'Asia/Shanghai',
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
});

/** The China calendar day of an instant, e.g. 2032-12-31. */
export function chinaDay(date: Date): string {
  return CHINA_DAY.format(date);
}

/** The day `days` after (or before, if negative) a China calendar day, e.g. 2026-12-01 → 2026-11-30. */
export function shiftChinaDay(day: string, days: number): string {
  const at = new Date(`${day}T00:00:00Z`);
  at.setUTCDate(at.getUTCDate() + days);
  return at.toISOString().slice(0, 10);
}

/** The instant a China calendar day starts (00:00 Beijing time). */
export function chinaDayStart(day: string): Date {
  return new Date(`${day}T00:00:00+08:00`);
}

const CHINA_OFFSET_HOURS = 8;

/** The China calendar day of an instant and the minutes since its midnight (China has kept UTC+8 all year since 1991, so a fixed offset is exact). */
export function chinaClock(now: Date): { date: string; minutes: number } {
  const local = new Date(now.getTime() + CHINA_OFFSET_HOURS * 3600_000);
  return {
    date: local.toISOString().slice(0, 10),
    minutes: local.getUTCHours() * 60 + local.getUTCMinutes(),
  };
}
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

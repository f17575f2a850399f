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

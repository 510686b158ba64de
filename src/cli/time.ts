/** Time stamps for `-F`: ISO 8601 in local time with offset (as mosquitto prints), Unix time, strftime-like fields. */

const pad = (n: number, width = 2): string => String(n).padStart(width, '0');

/** `+0100` style offset of local time from UTC. */
export function utcOffset(date: Date): string {
  const minutes = -date.getTimezoneOffset();
  const sign = minutes >= 0 ? '+' : '-';
  const abs = Math.abs(minutes);
  return `${sign}${pad(Math.floor(abs / 60))}${pad(abs % 60)}`;
}

/** `2016-08-10T09:47:38+0100`, or `2016-08-10T09:47:38.123+0100` with `millis`. */
export function isoLocal(date: Date, millis = false): string {
  const day = `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
  const time = `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
  return `${day}T${time}${millis ? `.${pad(date.getMilliseconds(), 3)}` : ''}${utcOffset(date)}`;
}

/** Seconds since the epoch with nine decimals, like mosquitto's %U (the clock has millisecond resolution). */
export function unixTime(date: Date): string {
  const ms = date.getTime();
  return `${Math.floor(ms / 1000)}.${pad((ms % 1000) * 1_000_000, 9)}`;
}

/** The `@X` time fields this CLI knows. */
export const TIME_FIELDS = 'YmdHMSNsz@';

export function timeField(code: string, date: Date): string {
  switch (code) {
    case 'Y':
      return String(date.getFullYear());
    case 'm':
      return pad(date.getMonth() + 1);
    case 'd':
      return pad(date.getDate());
    case 'H':
      return pad(date.getHours());
    case 'M':
      return pad(date.getMinutes());
    case 'S':
      return pad(date.getSeconds());
    case 'N':
      return pad(date.getMilliseconds() * 1_000_000, 9);
    case 's':
      return String(Math.floor(date.getTime() / 1000));
    case 'z':
      return utcOffset(date);
    default:
      return '@';
  }
}

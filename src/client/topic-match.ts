/**
 * Whether a topic name matches a topic filter (MQTT 5 §4.7), shared-subscription prefix included.
 * Follows the broker's rules: `+` matches one level, `#` the rest (including the parent level), and wildcards at
 * the first level never match topics starting with `$`. For routing messages of one `message` listener.
 *
 * @example
 * ```ts
 * topicMatches('sensors/+/temp', 'sensors/42/temp'); // true
 * topicMatches('sensors/#', 'sensors'); // true
 * topicMatches('#', '$SYS/uptime'); // false
 * topicMatches('$share/workers/jobs/#', 'jobs/7'); // true
 * ```
 */
export function topicMatches(filter: string, topic: string): boolean {
  if (filter.startsWith('$share/')) {
    const slash = filter.indexOf('/', 7);
    filter = filter.slice(slash + 1);
  }
  // [MQTT-4.7.2-1] wildcards at the first level do not match topics starting with $.
  if (topic.startsWith('$') && (filter.startsWith('+') || filter.startsWith('#'))) return false;
  let f = 0;
  let t = 0;
  const fl = filter.length;
  const tl = topic.length;
  while (f < fl) {
    const c = filter.charCodeAt(f);
    if (c === 0x23 /* # */) return true;
    if (c === 0x2b /* + */) {
      while (t < tl && topic.charCodeAt(t) !== 0x2f) t++;
      f++;
    } else {
      // Compare one level literally.
      while (f < fl && t < tl && filter.charCodeAt(f) !== 0x2f) {
        if (filter.charCodeAt(f) !== topic.charCodeAt(t)) return false;
        f++;
        t++;
      }
      if (f < fl && filter.charCodeAt(f) !== 0x2f) return false;
      if (t < tl && topic.charCodeAt(t) !== 0x2f) return false;
    }
    if (f === fl) return t === tl;
    // Both at a '/': step over it; "a/#" also matches "a" (the parent level).
    if (t === tl) return filter.slice(f) === '/#';
    f++;
    t++;
  }
  return t === tl;
}

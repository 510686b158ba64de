/**
 * Topic names and topic filters (MQTT 5 §4.7, §4.8.2).
 *
 * Each check returns what is wrong as a sentence, or `undefined`; the encoder
 * turns it into an InvalidArgumentError and the decoder into a
 * MalformedPacketError, so both sides enforce the same rules.
 */

const SLASH = 0x2f;
const PLUS = 0x2b;
const HASH = 0x23;

/**
 * What is wrong with a topic name (what PUBLISH carries), as a sentence, or `undefined` when it is fine: wildcards
 * ([MQTT-3.3.2-2]) or an empty name ([MQTT-4.7.3-1]). Lets an application check user input before publishing.
 *
 * @example
 * ```ts
 * topicNameProblem('sensors/+/temp'); // 'must not contain wildcards (+ or #): "sensors/+/temp"'
 * topicNameProblem('sensors/42/temp'); // undefined
 * ```
 */
export function topicNameProblem(topic: string): string | undefined {
  if (topic.length === 0) return 'must not be empty';
  if (topic.includes('+') || topic.includes('#')) return `must not contain wildcards (+ or #): "${topic}"`;
  return undefined;
}

/**
 * What is wrong with a topic filter (what SUBSCRIBE carries), as a sentence, or `undefined` when it is fine: `#`
 * only as the whole last level, `+` only as a whole level. `shared` enables the `$share/name/filter` rules of
 * MQTT 5; without it `$share/...` is checked as an ordinary filter.
 *
 * @example
 * ```ts
 * topicFilterProblem('sensors/#/temp', false); // '"#" must be the whole last level: "sensors/#/temp"'
 * topicFilterProblem('$share/workers/jobs/+', true); // undefined
 * ```
 */
export function topicFilterProblem(filter: string, shared: boolean): string | undefined {
  if (filter.length === 0) return 'must not be empty';
  let start = 0;
  if (shared && filter.startsWith('$share/')) {
    const slash = filter.indexOf('/', 7);
    const name = filter.slice(7, slash === -1 ? filter.length : slash);
    // [MQTT-4.8.2-1] [MQTT-4.8.2-2]
    if (name.length === 0) return `shared subscription "${filter}" needs a share name after $share/`;
    if (name.includes('+') || name.includes('#')) return `share name "${name}" must not contain wildcards`;
    if (slash === -1 || slash === filter.length - 1) return `shared subscription "${filter}" needs a topic filter after the share name`;
    start = slash + 1;
  }
  const n = filter.length;
  for (let i = start; i < n; i++) {
    const c = filter.charCodeAt(i);
    if (c === HASH) {
      // [MQTT-4.7.1-1] '#' stands alone in the last level.
      if ((i > start && filter.charCodeAt(i - 1) !== SLASH) || i !== n - 1) {
        return `"#" must be the whole last level: "${filter}"`;
      }
    } else if (c === PLUS) {
      // [MQTT-4.7.1-2] '+' fills a whole level.
      if ((i > start && filter.charCodeAt(i - 1) !== SLASH) || (i + 1 < n && filter.charCodeAt(i + 1) !== SLASH)) {
        return `"+" must fill a whole level: "${filter}"`;
      }
    }
  }
  return undefined;
}

/**
 * Whether a filter is a shared subscription (`$share/name/filter`): the broker hands each message to one member
 * of the group. MQTT 5 forbids No Local on them.
 *
 * @example
 * ```ts
 * isSharedFilter('$share/workers/jobs/#'); // true
 * ```
 */
export function isSharedFilter(filter: string): boolean {
  return filter.startsWith('$share/');
}

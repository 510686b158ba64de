/** The numbered message stream of the SIGKILL publisher test (shared by the child and the test). */

/** The QoS of message `seq` of `run`: fixed by the numbers, so the test knows it for messages that never arrived. */
export function qosOf(run: number, seq: number): 1 | 2 {
  return (Math.imul(seq + 1, 2_654_435_761) ^ run) & 0x10 ? 2 : 1;
}

/** The payload of message `seq` of `run`. */
export function payloadOf(run: number, seq: number): string {
  return `${run}:${seq}:${qosOf(run, seq)}`;
}

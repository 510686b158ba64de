/**
 * Turns a no-loss run into a list of broken promises (empty when all held)
 * and into the counts the tests print.
 */

import { cutCount } from '../../helpers/fault-proxy.js';
import type { ScenarioResult } from './scenario.js';
import { formatResult, type StreamResult } from './stream.js';

/** Every promise of the stream module comment that one stream broke. */
export function streamProblems(r: StreamResult): string[] {
  const problems: string[] = [];
  const name = `${r.name} (QoS ${r.qos})`;
  if (r.pending > 0) problems.push(`${name}: ${r.pending} publish() promises never settled`);
  if (r.rejected > 0) problems.push(`${name}: ${r.rejected} publish() promises rejected`);
  if (r.missing > 0) problems.push(`${name}: ${r.missing} messages lost, e.g. ${r.missingSample.join(', ')}`);
  if (r.strays > 0) problems.push(`${name}: ${r.strays} deliveries of messages never published or with the wrong QoS`);
  if (r.orderViolations > 0) problems.push(`${name}: ${r.orderViolations} order violations, e.g. ${r.orderSample.join('; ')}`);
  if (r.qos === 2 && r.duplicates > r.brokerDuplicates) {
    problems.push(`${name}: ${r.duplicates - r.brokerDuplicates} duplicates delivered to the application`);
  }
  return problems;
}

/** Every broken promise of a run: its streams', plus a tail that never finished, lost sessions and client errors. */
export function scenarioProblems(run: ScenarioResult): string[] {
  const problems = run.results.flatMap(streamProblems);
  if (run.timeout !== undefined) problems.push(run.timeout);
  if (run.sessionsLost > 0) problems.push(`the broker lost a persistent session ${run.sessionsLost} times`);
  if (run.errors.length > 0) problems.push(`client errors: ${run.errors.slice(0, 5).join(' | ')}`);
  if (run.sentOutOfOrder.length > 0) problems.push(`publishers sent out of order: ${run.sentOutOfOrder.slice(0, 5).join(', ')}`);
  return problems;
}

export function runCuts(run: ScenarioResult): number {
  return cutCount(run.publisherStats) + (run.subscriberStats === undefined ? 0 : cutCount(run.subscriberStats));
}

export function runMessages(run: ScenarioResult): number {
  return run.results.reduce((sum, r) => sum + r.published, 0);
}

/** The lines a test prints about one run. */
export function runReport(label: string, seed: number, run: ScenarioResult): string[] {
  const duplicates = run.results.reduce((sum, r) => sum + r.duplicates, 0);
  const missing = run.results.reduce((sum, r) => sum + r.missing, 0);
  return [
    `[fault] ${label} (seed ${seed}): ${runMessages(run)} messages, ${runCuts(run)} faults (${run.midPacket} inside a packet), ${run.offline} times offline, ` +
      `${duplicates} duplicates, ${missing} lost, ${Math.round(run.durationMs)} ms`,
    ...run.results.map(formatResult),
  ];
}

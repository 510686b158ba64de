/** The error every aborted operation rejects with. */
import { StateError } from '../errors.js';

export function abortError(signal: AbortSignal): StateError {
  return new StateError('the operation was aborted', 'MQTTKIT_ERR_ABORTED', { cause: signal.reason });
}

import { ErrorCode, type Frame, parseErrorHeader } from '@tcpbalancer/protocol';
import { printable } from './printable.js';

/** What an error code on the wire looks like (`ERR_BUSY`): anything else is not one. */
const CODE = /^[A-Z][A-Z0-9_]{0,63}$/;
const MAX_MESSAGE = 500;

export interface ErrorAnswer {
  readonly code: string;
  readonly message: string;
}

/**
 * An error frame's code and message, taken from an untrusted peer: the code must look like a
 * code (it becomes a key of the summary's `errors` and a log field), else `ERR_UNKNOWN` with the
 * raw text quoted in the message; the message is made printable and capped. Never throws.
 */
export function readErrorAnswer(frame: Frame): ErrorAnswer {
  let code: string;
  let message: string;
  try {
    ({ code, message } = parseErrorHeader(frame.header));
  } catch {
    // The wire's name for an error header that does not parse.
    return { code: ErrorCode.BadHeader, message: 'unreadable error frame' };
  }
  message = printable(message, MAX_MESSAGE);
  if (!CODE.test(code)) {
    return {
      code: 'ERR_UNKNOWN',
      message: `malformed error code ${JSON.stringify(printable(code, 64))}: ${message}`,
    };
  }
  return { code, message };
}

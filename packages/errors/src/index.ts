export {
  DASS_ERROR_CODES,
  DassError,
  InvalidArgumentError,
  describeError,
  hasMarker,
  setMarker,
  type DassErrorCode,
  type DassErrorOptions,
  type FieldNamer,
  type InvalidArgumentOptions,
  type MessageText,
} from './dass-error.js';

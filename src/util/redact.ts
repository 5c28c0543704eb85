/**
 * Credentials inside URLs (`https://user:pass@host`, `?api_key=…`, `&token=…`) are replaced by
 * `***` wherever text is printed or recorded (messages, warnings, notes, the command line in a
 * results file). A URL without credentials is left exactly as written.
 */
// A value ends where the query does, and at punctuation that closes the surrounding prose
// (`…?api_key=K, model m)`): an encoded key never holds a raw ',' or ')'.
const SECRET_PARAM = /([?&;](?:api[_-]?key|apikey|key|token|access[_-]?token|auth|password|passwd|secret|sig|signature)=)[^&#\s'"<>;,)\]}]*/gi;
const URL_LIKE = /\b[a-z][a-z0-9+.-]*:\/\/[^\s'"<>]*/gi;

export const REDACTED = '***';

function redactUrl(url: string): string {
  // The authority ends at the first '/', '?' or '#'; user info is whatever precedes its last '@'.
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/?#]*@/i, `$1${REDACTED}@`).replace(SECRET_PARAM, `$1${REDACTED}`);
}

export function redactSecrets(text: string): string {
  return text.replace(URL_LIKE, redactUrl);
}

/** SHA-256 (FIPS 180-4) in plain JavaScript (@noble/hashes), so fingerprints are computed the same in Node and browsers. */
import { sha256 } from '@noble/hashes/sha2.js';

const utf8 = new TextEncoder();

/** Lower-case hex SHA-256 of `data` (a string is hashed as its UTF-8 bytes, as Node's `hash.update(string)` does). */
export function sha256Hex(data: Uint8Array | string): string {
  const digest = sha256(typeof data === 'string' ? utf8.encode(data) : data);
  let hex = '';
  for (const b of digest) hex += b.toString(16).padStart(2, '0');
  return hex;
}

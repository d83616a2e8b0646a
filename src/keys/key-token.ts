import { hash, randomBytes } from 'node:crypto';

/**
 * Keys as LiteLLM makes them: `sk-` and 16 random bytes in URL-safe base64 (its
 * `secrets.token_urlsafe(16)`), stored only as the SHA-256 hex of the whole key (its
 * `hash_token`). The raw key is returned once, by the call that made it.
 */
export function newKey(): string {
  return `sk-${randomBytes(16).toString('base64url')}`;
}

export function hashToken(key: string): string {
  return hash('sha256', key, 'hex');
}

/** LiteLLM's `key_name`: `sk-...` and the key's last four characters. */
export function abbreviate(key: string): string {
  return `sk-...${key.slice(-4)}`;
}

/** A token hash (64 hex digits), as stored in `LiteLLM_VerificationToken.token`. */
export function isTokenHash(text: string): boolean {
  return /^[0-9a-f]{64}$/.test(text);
}

/**
 * The stored token for what a management call names: LiteLLM's routes take the key itself or its
 * hash (`_hash_token_if_needed`: a value starting with `sk-` is hashed, anything else is taken as
 * the hash).
 */
export function tokenOf(keyOrHash: string): string {
  return keyOrHash.startsWith('sk-') ? hashToken(keyOrHash) : keyOrHash;
}

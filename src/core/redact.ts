/**
 * Secrets never leave the gateway: upstream error text and probe errors pass through here before
 * they reach a log line or a response. Known secret values (the master key, every deployment's
 * key) are registered at config load; common key shapes are masked even when unknown.
 */

const knownSecrets = new Set<string>();

const KEY_PATTERNS: RegExp[] = [
  /\b(sk|pk|rk)-[A-Za-z0-9_-]{8,}/g,
  /\bsk-ant-[A-Za-z0-9_-]{8,}/g,
  /\b(gsk|xai|fw)_[A-Za-z0-9]{8,}/g,
  /\bBearer\s+[A-Za-z0-9._~+/=-]{8,}/gi,
  /\bya29\.[A-Za-z0-9._-]{8,}/g, // Google OAuth access tokens
  /\bAIza[A-Za-z0-9_-]{30,}/g, // Google API keys
];

export function registerSecret(value: string | undefined | null): void {
  if (value && value.length >= 4) knownSecrets.add(value);
}

export function redact(text: string): string {
  let out = text;
  for (const secret of knownSecrets) {
    if (out.includes(secret)) out = out.split(secret).join('[REDACTED]');
  }
  for (const pattern of KEY_PATTERNS) out = out.replace(pattern, '[REDACTED]');
  return out;
}

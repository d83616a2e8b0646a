/** OpenAI's `encoding_format: "base64"` for providers that answer floats: the vector as little-endian float32 bytes. */
export function floatsAsBase64(vector: readonly number[]): string {
  const bytes = Buffer.alloc(vector.length * 4);
  vector.forEach((value, i) => bytes.writeFloatLE(value, i * 4));
  return bytes.toString('base64');
}

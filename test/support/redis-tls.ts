import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './ports.js';

/**
 * A real redis-server that speaks only TLS (`--port 0 --tls-port N`), with a test CA and a server
 * certificate made by openssl in a temporary directory (for 127.0.0.1 and localhost), and ACL
 * users: `ACL SETUSER` for each, then the default user switched off, so that nothing but a named
 * user with its password gets in. `stop()` removes the directory.
 */
export interface RedisTlsProcess {
  readonly port: number;
  /** The CA certificate (PEM) that signed the server's: what `ssl_ca_certs` names. */
  readonly caFile: string;
  /** One redis-cli command over TLS as `user`; its raw answer, or undefined on failure. */
  cli(user: { name: string; password: string }, ...command: string[]): string | undefined;
  stop(): Promise<void>;
}

export async function startRedisTls(users: Array<{ name: string; password: string }>): Promise<RedisTlsProcess> {
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-redis-tls-'));
  const file = (name: string) => join(dir, name);
  const openssl = (...args: string[]) => {
    const result = spawnSync('openssl', args, { encoding: 'utf8', timeout: 30_000 });
    if (result.status !== 0) throw new Error(`openssl ${args[0]} failed: ${result.stderr}`);
  };
  openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=switchyard test CA', '-keyout', file('ca.key'), '-out', file('ca.pem'));
  writeFileSync(file('server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  openssl('req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=localhost', '-keyout', file('server.key'), '-out', file('server.csr'));
  openssl('x509', '-req', '-in', file('server.csr'), '-CA', file('ca.pem'), '-CAkey', file('ca.key'), '-CAcreateserial', '-days', '2', '-extfile', file('server.ext'), '-out', file('server.pem'));

  const port = await freePort();
  const proc: ChildProcess = spawn('redis-server', [
    '--port', '0', '--tls-port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir,
    '--tls-cert-file', file('server.pem'), '--tls-key-file', file('server.key'), '--tls-ca-cert-file', file('ca.pem'), '--tls-auth-clients', 'no',
  ], { stdio: 'ignore' });
  process.once('exit', () => proc.kill('SIGKILL'));
  const base = ['--tls', '--cacert', file('ca.pem'), '-h', '127.0.0.1', '-p', String(port), '--no-auth-warning', '--raw'];
  const run = (auth: string[], command: string[]) => {
    const result = spawnSync('redis-cli', [...base, ...auth, ...command], { encoding: 'utf8', timeout: 5_000 });
    return result.status === 0 && !result.stdout.startsWith('ERR') && !result.stdout.startsWith('WRONGPASS') ? result.stdout.trim() : undefined;
  };
  const deadline = Date.now() + 10_000;
  while (run([], ['PING']) !== 'PONG') {
    if (Date.now() > deadline) throw new Error(`redis-server with TLS did not start on ${port}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  for (const user of users) {
    if (run([], ['ACL', 'SETUSER', user.name, 'on', `>${user.password}`, '~*', '&*', '+@all']) !== 'OK') throw new Error(`ACL SETUSER ${user.name} failed`);
  }
  if (run([], ['ACL', 'SETUSER', 'default', 'off']) !== 'OK') throw new Error('could not switch the default user off');
  return {
    port,
    caFile: file('ca.pem'),
    cli: (user, ...command) => run(['--user', user.name, '--pass', user.password], command),
    async stop() {
      if (proc.exitCode === null) {
        await new Promise<void>((resolve) => {
          proc.once('exit', () => resolve());
          proc.kill('SIGKILL');
        });
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

import type { Deployment } from '../config/index.js';
import { GatewayError } from '../core/index.js';
import type { DeploymentClient } from './adapter.js';

/** A deployment whose provider Switchyard does not implement: every call is a clear 501. */
export class UnimplementedClient implements DeploymentClient {
  constructor(readonly deployment: Deployment) {}

  private fail(): never {
    throw new GatewayError(
      'not_implemented',
      `provider "${this.deployment.provider}" (model group "${this.deployment.modelName}") is not implemented by Switchyard; supported: ${'openai, azure, anthropic, bedrock, cohere, ollama, ollama_chat and the OpenAI-compatible families'}`,
    );
  }

  async chat(): Promise<never> {
    this.fail();
  }

  async completion(): Promise<never> {
    this.fail();
  }

  async embedding(): Promise<never> {
    this.fail();
  }
}

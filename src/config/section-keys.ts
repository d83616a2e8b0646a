/**
 * Which section each config key belongs to: the keys LiteLLM knows in each section, whether
 * Switchyard implements them or not. Used only to tell a user who put a key in the wrong place
 * where it goes ("general_settings.num_retries belongs in router_settings or litellm_settings");
 * what Switchyard implements is the schema's business (schema.ts). A key missing here is merely
 * reported as unknown, so the lists need not be complete, only right.
 */

export type Section =
  | 'top'
  | 'deployment'
  | 'litellm_params'
  | 'model_info'
  | 'credential'
  | 'general_settings'
  | 'litellm_settings'
  | 'router_settings'
  | 'cache_params';

/** Sections describing one deployment, and sections of server-wide settings. */
const DEPLOYMENT_LEVEL: ReadonlySet<Section> = new Set(['deployment', 'litellm_params', 'model_info', 'credential']);

/** How a section is named in messages. */
export const SECTION_LABEL: Readonly<Record<Section, string>> = {
  top: 'the top level',
  deployment: 'the model_list entry',
  litellm_params: 'litellm_params',
  model_info: 'model_info',
  credential: 'the credential_list entry',
  general_settings: 'general_settings',
  litellm_settings: 'litellm_settings',
  router_settings: 'router_settings',
  cache_params: 'litellm_settings.cache_params',
};

const ROUTING = [
  'num_retries', 'timeout', 'fallbacks', 'context_window_fallbacks', 'content_policy_fallbacks', 'default_fallbacks',
  'allowed_fails', 'cooldown_time', 'retry_policy', 'model_group_retry_policy', 'allowed_fails_policy', 'max_fallbacks',
];

export const SECTION_KEYS: Readonly<Record<Section, readonly string[]>> = {
  top: [
    'model_list', 'general_settings', 'litellm_settings', 'router_settings', 'environment_variables', 'include',
    'credential_list', 'guardrails', 'mcp_servers', 'mcp_tools', 'callback_settings', 'search_tools', 'vector_store_registry',
    'prompts', 'files_settings', 'finetune_settings', 'assistant_settings', 'agent_list', 'model_group_settings',
  ],
  deployment: ['model_name', 'litellm_params', 'model_info'],
  litellm_params: [
    'model', 'api_key', 'api_base', 'api_version', 'organization', 'timeout', 'stream_timeout', 'max_retries', 'rpm', 'tpm',
    'weight', 'order', 'mock_response', 'extra_headers', 'litellm_credential_name', 'temperature', 'top_p', 'max_tokens',
    'max_completion_tokens', 'frequency_penalty', 'presence_penalty', 'seed', 'stop', 'num_retries', 'custom_llm_provider',
    'drop_params', 'additional_drop_params', 'input_cost_per_token', 'output_cost_per_token', 'input_cost_per_second',
    'output_cost_per_second', 'cache_read_input_token_cost', 'cache_creation_input_token_cost', 'region_name', 'aws_access_key_id', 'aws_secret_access_key', 'aws_region_name',
    'aws_session_token', 'aws_role_name', 'aws_session_name', 'aws_profile_name', 'aws_bedrock_runtime_endpoint',
    'vertex_project', 'vertex_location', 'vertex_credentials', 'azure_ad_token', 'azure_ad_token_provider', 'tenant_id',
    'client_id', 'client_secret', 'use_in_pass_through', 'merge_reasoning_content_in_choices', 'tags', 'budget_duration',
    'max_budget', 'model_info', 'headers', 'configurable_clientside_auth_params', 'use_litellm_proxy', 'cache_control_injection_points',
  ],
  model_info: [
    'id', 'mode', 'base_model', 'health_check_timeout', 'health_check_model', 'health_check_max_tokens',
    'disable_background_health_check', 'input_cost_per_token', 'output_cost_per_token', 'max_tokens', 'max_input_tokens',
    'max_output_tokens', 'supports_function_calling', 'supports_vision', 'supports_reasoning', 'supports_prompt_caching',
    'supports_response_schema', 'supports_tool_choice', 'description', 'team_id', 'access_groups', 'db_model', 'tier',
    'cache_read_input_token_cost', 'cache_creation_input_token_cost', 'input_cost_per_second', 'output_cost_per_second',
  ],
  credential: ['credential_name', 'credential_values', 'credential_info'],
  general_settings: [
    'master_key', 'database_url', 'user_api_key_cache_ttl', 'database_connection_pool_limit', 'database_connection_timeout', 'database_args',
    'store_model_in_db', 'store_prompts_in_spend_logs', 'disable_spend_logs', 'disable_master_key_return',
    'disable_reset_budget', 'disable_adding_master_key_hash_to_db', 'disable_prisma_schema_update', 'enable_jwt_auth',
    'litellm_jwtauth', 'enforce_user_param', 'allowed_routes', 'admin_only_routes', 'public_routes', 'key_management_system',
    'key_management_settings', 'use_google_kms', 'use_azure_key_vault', 'custom_auth', 'custom_key_generate', 'custom_sso',
    'max_parallel_requests', 'global_max_parallel_requests', 'infer_model_from_keys', 'background_health_checks',
    'health_check_interval', 'health_check_details', 'use_shared_health_check', 'alerting', 'alert_types',
    'alert_to_webhook_url', 'alerting_args', 'alerting_threshold', 'spend_report_frequency', 'max_request_size_mb',
    'max_response_size_mb', 'proxy_batch_write_at', 'proxy_budget_rescheduler_min_time', 'proxy_budget_rescheduler_max_time',
    'pass_through_endpoints', 'forward_openai_org_id', 'forward_client_headers_to_llm_api', 'user_header_name',
    'ui_access_mode', 'allow_requests_on_db_unavailable', 'enable_oauth2_auth', 'enable_oauth2_proxy_auth',
    'maximum_spend_logs_retention_period', 'maximum_spend_logs_retention_interval', 'require_auth_for_metrics_endpoint',
    'completion_model', 'embedding_model', 'moderation_model', 'otel', 'service_account_settings', 'supported_db_objects',
    'disable_retry_on_max_parallel_request_limit_error', 'use_client_credentials_pass_through_routes', 'mcp_servers',
  ],
  router_settings: [
    ...ROUTING, 'routing_strategy', 'routing_strategy_args', 'model_group_alias', 'stream_timeout', 'retry_after',
    'disable_cooldowns', 'enable_health_check_routing', 'redis_host', 'redis_port', 'redis_password', 'redis_url',
    'redis_startup_nodes', 'service_name', 'sentinel_nodes', 'sentinel_password', 'ssl_ca_certs',
    'enable_pre_call_checks', 'optional_pre_call_checks', 'enable_tag_filtering', 'tag_filtering_match_any',
    'provider_budget_config', 'default_litellm_params', 'default_max_parallel_requests', 'default_priority',
    'polling_interval', 'set_verbose', 'debug_level', 'cache_responses', 'caching_groups', 'client_ttl',
    'router_general_settings', 'ignore_invalid_deployments', 'assistants_config', 'deployment_affinity_ttl_seconds',
  ],
  litellm_settings: [
    'cache', 'cache_params', 'num_retries', 'request_timeout', 'fallbacks', 'context_window_fallbacks',
    'content_policy_fallbacks', 'default_fallbacks', 'callbacks', 'success_callback', 'failure_callback', 'service_callback',
    'drop_params', 'modify_params', 'set_verbose', 'json_logs', 'turn_off_message_logging', 'redact_messages_in_exceptions',
    'redact_user_api_key_info', 'langfuse_default_tags', 'default_team_settings', 'default_internal_user_params',
    'default_key_generate_params', 'upperbound_key_generate_params', 'key_generation_settings', 'max_budget',
    'budget_duration', 'max_internal_user_budget', 'internal_user_budget_duration', 'max_end_user_budget',
    'disable_end_user_cost_tracking', 'enable_preview_features', 'ssl_verify', 'force_ipv4', 'telemetry',
    'public_model_groups', 'public_agent_groups', 'return_response_headers', 'enable_json_schema_validation',
    'forward_traceparent_to_llm_provider', 'extra_spend_tag_headers', 'global_disable_no_log_param', 's3_callback_params',
    'guardrails', 'mcp_aliases', 'tag_budget_config', 'prometheus_initialize_budget_metrics', 'api_key', 'api_base',
    'allowed_fails', 'max_fallbacks', 'disable_copilot_system_to_assistant', 'check_provider_endpoint',
    'use_chat_completions_url_for_anthropic_messages', 'model_alias_map', 'default_max_internal_user_budget',
  ],
  cache_params: [
    'type', 'host', 'port', 'password', 'username', 'ssl', 'ssl_ca_certs', 'url', 'namespace', 'ttl', 'default_in_memory_ttl',
    'default_in_redis_ttl', 'supported_call_types', 'mode', 'similarity_threshold', 'redis_semantic_cache_embedding_model',
    'redis_startup_nodes', 'service_name', 'sentinel_nodes', 'sentinel_password', 's3_bucket_name', 's3_region_name',
    's3_api_key', 's3_endpoint_url', 'disk_cache_dir', 'max_connections', 'qdrant_api_base', 'qdrant_collection_name',
  ],
};

/**
 * Where a key found in `section` (where it is not known) belongs instead: sections of the same
 * level first (a settings key in another settings section, a deployment key in another part of
 * the deployment), any other section when the same level has none. Empty: no obvious home.
 */
export function homesOf(key: string, section: Section): Section[] {
  const homes = (Object.keys(SECTION_KEYS) as Section[]).filter((s) => s !== section && SECTION_KEYS[s].includes(key));
  const sameLevel = homes.filter((s) => DEPLOYMENT_LEVEL.has(s) === DEPLOYMENT_LEVEL.has(section) && s !== 'top');
  if (sameLevel.length > 0) return sameLevel;
  return homes;
}

export function isKnownIn(key: string, section: Section): boolean {
  return SECTION_KEYS[section].includes(key);
}

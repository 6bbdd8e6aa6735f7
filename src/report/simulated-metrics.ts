/**
 * Every Prometheus series the local cloud's workload simulator (src/sandbox/agent/simulator.ts)
 * serves, a histogram by its base name. A report marks a metric of a local-cloud run as simulated
 * when its query reads one of these. The list lives with the report, which sits below the sandbox;
 * the simulator's test checks that it names every series the simulator serves.
 */
export const SIMULATED_METRIC_NAMES = [
  'otelcol_receiver_accepted_log_records_total',
  'otelcol_exporter_send_failed_log_records_total',
  'otelcol_process_cpu_seconds_total',
  'otelcol_process_runtime_heap_alloc_bytes',
  'dht_requests_total',
  'dht_request_errors_total',
  'dht_cache_hits_total',
  'dht_de_bruijn_success_total',
  'dht_de_bruijn_failures_total',
  'dht_successor_fallbacks_total',
  'dht_request_duration_seconds',
] as const;

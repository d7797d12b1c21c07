namespace Kedge.Testing;

/// <summary>
/// The metric contract of kedge and winch (issue 13): every series name the dashboard, the README and users' alerts may
/// rely on, with its labels and, where the set is bounded, the label values. This is the single list: the dashboard and
/// README tests (FunctionalTests/Deploy) check that they use nothing outside it, and the metrics code must match it — the
/// metrics tests check that side against a scrape. Adding a series or a label is compatible; renaming or removing one
/// breaks deployed dashboards and alerts.
/// </summary>
public static class KedgeMetricContract
{
    /// <summary>Labels Prometheus adds to every series it scrapes (not exported by kedge).</summary>
    public static IReadOnlySet<string> TargetLabels { get; } = new HashSet<string>(StringComparer.Ordinal) { "job", "instance" };

    /// <summary>Series names as exposed (a histogram as its <c>_bucket</c>, <c>_sum</c> and <c>_count</c>), with their labels.</summary>
    public static IReadOnlyDictionary<string, IReadOnlySet<string>> Series { get; } = BuildSeries();

    /// <summary>The values a bounded label takes, per series name and label.</summary>
    public static IReadOnlyDictionary<(string Series, string Label), IReadOnlySet<string>> BoundedValues { get; } = BuildValues();

    private static Dictionary<string, IReadOnlySet<string>> BuildSeries()
    {
        var series = new Dictionary<string, IReadOnlySet<string>>(StringComparer.Ordinal);
        void Add(string name, params string[] labels) => series.Add(name, new HashSet<string>(labels, StringComparer.Ordinal));
        void Histogram(string name, params string[] labels)
        {
            Add(name + "_bucket", [.. labels, "le"]);
            Add(name + "_sum", labels);
            Add(name + "_count", labels);
        }

        // kedge: requests, per route and backend.
        Histogram("kedge_request_duration_seconds", "route", "backend_name", "protocol");
        Add("kedge_requests_total", "route", "backend_name", "protocol", "code_class");

        // kedge: backends and errors (Go kedge's names and labels where Go had them).
        Add("kedge_proxy_errors_total", "backend_name", "type");
        Add("kedge_http_backend_configuration_changes_total", "backend_name", "action");
        Add("kedge_grpc_backend_configuration_changes_total", "backend_name", "action");
        Add("kedge_backend_retries_total", "backend_name", "reason");
        Add("kedge_backend_endpoints", "backend_name", "state");

        // kedge: TCP tunnels (CONNECT), per route and backend.
        Add("kedge_tunnels_opened_total", "route", "backend_name");
        Add("kedge_tunnels_active", "route", "backend_name");
        Add("kedge_tunnel_bytes_total", "route", "backend_name", "direction");
        Histogram("kedge_tunnel_duration_seconds", "route", "backend_name");
        Add("kedge_tunnels_closed_total", "route", "backend_name", "reason");

        // kedge: configuration and certificates.
        Add("kedge_config_reloads_total", "result");
        Add("kedge_config_reload_failures_total");
        Add("kedge_config_last_reload_success_timestamp_seconds");
        Add("kedge_certificate_expiry_timestamp_seconds", "certificate");

        // Process and runtime (prometheus-net's DotNetStats), in kedge's and winch's registries.
        Add("process_cpu_seconds_total");
        Add("process_working_set_bytes");
        Add("process_private_memory_bytes");
        Add("process_virtual_memory_bytes");
        Add("process_open_handles");
        Add("process_num_threads");
        Add("process_start_time_seconds");
        Add("dotnet_total_memory_bytes");
        Add("dotnet_collection_count_total", "generation");

        // winch, and the Kedge.Client meter winch exports.
        Add("winch_http_requests_total", "via", "code");
        Histogram("winch_http_request_duration_seconds", "via");
        Add("winch_grpc_calls_total", "outcome");
        Add("kedge_client_requests_total", "kedge_mapping_rule", "outcome");
        Add("kedge_client_mapping_failures_total");
        Add("kedge_client_certificate_reloads_total", "result");
        Add("kedge_client_token_refreshes_total", "source", "result");
        return series;
    }

    private static Dictionary<(string, string), IReadOnlySet<string>> BuildValues()
    {
        var values = new Dictionary<(string, string), IReadOnlySet<string>>();
        void Add(string series, string label, params string[] allowed) => values.Add((series, label), new HashSet<string>(allowed, StringComparer.Ordinal));
        foreach (var series in new[] { "kedge_request_duration_seconds_bucket", "kedge_request_duration_seconds_sum", "kedge_request_duration_seconds_count", "kedge_requests_total" })
        {
            Add(series, "protocol", "http", "grpc");
        }

        Add("kedge_requests_total", "code_class", "1xx", "2xx", "3xx", "4xx", "5xx");
        Add("kedge_http_backend_configuration_changes_total", "action", "create", "update", "delete");
        Add("kedge_grpc_backend_configuration_changes_total", "action", "create", "update", "delete");
        Add("kedge_backend_endpoints", "state", "healthy", "ejected");
        Add("kedge_config_reloads_total", "result", "success", "failure");
        Add("kedge_tunnel_bytes_total", "direction", "upstream", "downstream");
        Add("kedge_tunnels_closed_total", "reason", "client_closed", "backend_closed", "connect_failed", "shutdown", "error");
        Add("kedge_certificate_expiry_timestamp_seconds", "certificate", "server", "client_ca");
        return values;
    }
}

using System.Diagnostics.Metrics;
using System.Text;
using Kedge.Telemetry;
using Prometheus;

namespace Kedge.Server.Tests.Observability;

public sealed class MeterBridgeTests
{
    [Fact]
    public async Task Bridge_EachInstrumentKind_OpenTelemetryPrometheusNamesAndTypes()
    {
        using var meter = new Meter("Test.Bridge." + Guid.NewGuid().ToString("N"));
        var registry = Metrics.NewCustomRegistry();
        using var bridge = new MeterBridge(registry, instrument => ReferenceEquals(instrument.Meter, meter));
        meter.CreateCounter<long>("kedge.client.requests").Add(3, new KeyValuePair<string, object?>("outcome", "success"));
        meter.CreateHistogram<double>("kestrel.connection.duration", unit: "s").Record(0.2, new KeyValuePair<string, object?>("error.type", "tls_handshake_failed"));
        meter.CreateUpDownCounter<long>("kestrel.active_connections", unit: "{connection}").Add(2);
        meter.CreateObservableCounter("dotnet.gc.heap.total_allocated", () => 1024L, unit: "By");
        meter.CreateObservableUpDownCounter("dotnet.assembly.count", () => 7L, unit: "{assembly}");

        var text = await ExportAsync(registry);

        Assert.Contains("# TYPE kedge_client_requests_total counter\nkedge_client_requests_total{outcome=\"success\"} 3\n", text, StringComparison.Ordinal);
        Assert.Contains("kestrel_connection_duration_seconds_bucket{error_type=\"tls_handshake_failed\",le=\"0.25\"} 1\n", text, StringComparison.Ordinal);
        Assert.Contains("kestrel_connection_duration_seconds_count{error_type=\"tls_handshake_failed\"} 1\n", text, StringComparison.Ordinal);
        Assert.Contains("# TYPE kestrel_active_connections gauge\nkestrel_active_connections 2\n", text, StringComparison.Ordinal);
        Assert.Contains("# TYPE dotnet_gc_heap_total_allocated_bytes_total counter\ndotnet_gc_heap_total_allocated_bytes_total 1024\n", text, StringComparison.Ordinal);
        // A gauge may not end in a histogram's suffix (promtool check metrics).
        Assert.Contains("# TYPE dotnet_assembly_count_current gauge\ndotnet_assembly_count_current 7\n", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Bridge_ObservableSeriesNoLongerReported_Removed()
    {
        using var meter = new Meter("Test.Bridge." + Guid.NewGuid().ToString("N"));
        var registry = Metrics.NewCustomRegistry();
        using var bridge = new MeterBridge(registry, instrument => ReferenceEquals(instrument.Meter, meter));
        var backends = new List<string> { "kept", "removed" };
        meter.CreateObservableGauge("kedge_k8s_endpoints", () => backends.Select(b => new Measurement<int>(1, new KeyValuePair<string, object?>("backend_name", b))));

        var before = await ExportAsync(registry);
        backends.Remove("removed");
        var after = await ExportAsync(registry);

        Assert.Contains("kedge_k8s_endpoints{backend_name=\"removed\"} 1", before, StringComparison.Ordinal);
        Assert.Contains("kedge_k8s_endpoints{backend_name=\"kept\"} 1", after, StringComparison.Ordinal);
        Assert.DoesNotContain("removed", after, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Bridge_InstrumentOfAnotherMeter_NotExported()
    {
        using var mine = new Meter("Test.Bridge." + Guid.NewGuid().ToString("N"));
        using var other = new Meter("Test.Bridge." + Guid.NewGuid().ToString("N"));
        var registry = Metrics.NewCustomRegistry();
        using var bridge = new MeterBridge(registry, instrument => ReferenceEquals(instrument.Meter, mine));
        other.CreateCounter<long>("not.mine").Add(1);

        Assert.DoesNotContain("not_mine", await ExportAsync(registry), StringComparison.Ordinal);
    }

    private static async Task<string> ExportAsync(CollectorRegistry registry)
    {
        using var stream = new MemoryStream();
        await registry.CollectAndExportAsTextAsync(stream);
        return Encoding.UTF8.GetString(stream.ToArray());
    }
}

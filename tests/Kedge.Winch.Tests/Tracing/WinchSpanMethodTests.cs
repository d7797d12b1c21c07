using System.Collections.Concurrent;
using System.Diagnostics;
using Kedge.Client;
using Kedge.Testing;
using Kedge.Winch.Tests.Infrastructure;
using Kedge.Winch.Tracing;

namespace Kedge.Winch.Tests.Tracing;

[Collection(ProcessWideListeners.Name)]
public sealed class WinchSpanMethodTests : IAsyncLifetime
{
    private const string Mapper = """{"routes": [{"direct": {"key": "orders.shop.svc.cluster-b.internal:8080", "url": "{KEDGE}"}, "protocol": "HTTP"}]}""";

    private readonly TestLogSink _logs = new();
    private readonly ConcurrentQueue<Activity> _stopped = new();
    private ActivityListener? _listener;
    private WinchTestEnvironment? _env;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        _listener?.Dispose();
        if (_env is not null)
        {
            await _env.DisposeAsync();
        }

        _logs.Dispose();
    }

    [Fact]
    public async Task HttpProxy_InventedMethod_SpansNameAndTagItOtherAsKedgeDoes()
    {
        _listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name is WinchTracing.SourceName or KedgeClientDiagnostics.ActivitySourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = _stopped.Enqueue,
        };
        ActivitySource.AddActivityListener(_listener);
        _env = await WinchTestEnvironment.StartAsync(_logs, Mapper);
        using var client = _env.CreateProxiedClient();
        var method = "X" + Guid.NewGuid().ToString("N")[..8].ToUpperInvariant();

        using var request = new HttpRequestMessage(new HttpMethod(method), "http://orders.shop.svc.cluster-b.internal:8080/v1/orders");
        (await client.SendAsync(request)).Dispose();

        await Eventually.TrueAsync(
            () => _stopped.Any(a => a.Source.Name == WinchTracing.SourceName) && _stopped.Any(a => a.Source.Name == KedgeClientDiagnostics.ActivitySourceName),
            "winch's and Kedge.Client's spans end");
        var winch = Assert.Single(_stopped, a => a.Source.Name == WinchTracing.SourceName);
        var kedgeClient = Assert.Single(_stopped, a => a.Source.Name == KedgeClientDiagnostics.ActivitySourceName);
        Assert.Equal("winch _OTHER", winch.DisplayName);
        Assert.Equal("_OTHER", winch.GetTagItem("http.request.method"));
        Assert.Equal("kedge _OTHER", kedgeClient.DisplayName);
        Assert.Equal("_OTHER", kedgeClient.GetTagItem("http.request.method"));
        Assert.DoesNotContain(_stopped, a => a.DisplayName.Contains(method, StringComparison.Ordinal));
    }
}

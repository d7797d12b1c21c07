using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Net;
using Kedge.Client;
using Kedge.Client.Mapping;
using Kedge.Client.Tokens;
using Kedge.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Kedge.FunctionalTests.Client;

[Collection(ProcessWideListeners.Name)]
public sealed class KedgeClientMetricsTests : IAsyncLifetime
{
    private readonly TestLogSink _logs = new();
    private readonly ConcurrentQueue<(Instrument Instrument, long Value, Dictionary<string, object?> Tags)> _measurements = new();
    private readonly MeterListener _listener = new();
    private KedgeStandIn _kedge = null!;

    public async Task InitializeAsync()
    {
        _kedge = await KedgeStandIn.StartAsync(_logs, app => app.Map("/kedge-error", (HttpContext context) =>
        {
            context.Response.Headers["X-Kedge-Error"] = "unknown route to service";
            context.Response.Headers["X-Kedge-Error-Type"] = "no-route";
            return Results.Text("unknown route to service", statusCode: 502);
        }));
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == KedgeClientDiagnostics.MeterName)
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
            _measurements.Enqueue((instrument, value, tags.ToArray().ToDictionary(t => t.Key, t => t.Value))));
        _listener.Start();
    }

    public async Task DisposeAsync()
    {
        _listener.Dispose();
        await _kedge.DisposeAsync();
        _logs.Dispose();
    }

    [Fact]
    public async Task Requests_CountedPerMappingRuleAndOutcome_NeverPerTarget()
    {
        using var client = _kedge.CreateClient(_logs);
        using var http = new HttpClient(client.CreateHandler());
        var rule = client.Mapper.Description;

        (await http.GetAsync("http://a.shop.svc.cluster-b.kedge/")).Dispose();
        (await http.GetAsync("http://b.shop.svc.cluster-b.kedge:8080/")).Dispose();
        (await http.GetAsync("http://c.shop.svc.cluster-b.kedge/kedge-error")).Dispose();

        var requests = _measurements.Where(m => m.Instrument.Name == "kedge.client.requests").ToList();
        Assert.Equal(3, requests.Count);
        Assert.All(requests, m => Assert.Equal(rule, m.Tags["kedge.mapping_rule"]));
        Assert.All(requests, m => Assert.Equal(["kedge.mapping_rule", "outcome"], m.Tags.Keys.Order()));
        Assert.Equal(2, requests.Count(m => (string?)m.Tags["outcome"] == "ok"));
        Assert.Equal(1, requests.Count(m => (string?)m.Tags["outcome"] == "kedge-error"));
    }

    [Theory]
    [InlineData("suffix")]
    [InlineData("regexp")]
    public async Task Requests_ManyRandomTargetsThroughPatternMapper_TagValuesBoundedByConfiguration(string mapperKind)
    {
        var mapper = mapperKind == "suffix"
            ? KedgeMapper.Suffix("*.kedge", ".kedge.example.test")
            : KedgeMapper.Regex(@"^(?<cluster>[a-z0-9]+)\.kedge$", "https://${cluster}.kedge.example.test");
        using var client = KedgeClient.Create(_kedge.ClientOptions(mapper), _logs);
        using var invoker = new HttpMessageInvoker(client.CreateHandler());
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync(); // every call is counted (as cancelled) without a connection to a made-up kedge
        var targets = Enumerable.Range(0, 40).Select(i => $"x{i}r{Random.Shared.Next(100000)}").ToList();

        foreach (var target in targets)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, $"http://{target}.kedge/");
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => invoker.SendAsync(request, cancelled.Token));
        }

        var requests = _measurements.Where(m => m.Instrument.Name == "kedge.client.requests").ToList();
        Assert.Equal(targets.Count, requests.Count);
        Assert.All(requests, m => Assert.Equal(["kedge.mapping_rule", "outcome"], m.Tags.Keys.Order()));
        Assert.Single(requests.Select(m => m.Tags["kedge.mapping_rule"]).Distinct());
        Assert.Equal(mapper.Description, requests[0].Tags["kedge.mapping_rule"]);
        Assert.DoesNotContain(requests, m => m.Tags.Values.OfType<string>().Any(v => targets.Any(t => v.Contains(t, StringComparison.Ordinal))));
    }

    [Fact]
    public async Task Requests_KedgeDown_CountedAsTransportError()
    {
        using var client = _kedge.CreateClient(_logs);
        using var http = new HttpClient(client.CreateHandler());
        await _kedge.Server.DisposeAsync();

        await Assert.ThrowsAnyAsync<HttpRequestException>(() => http.GetAsync("http://a.shop.svc.cluster-b.kedge/"));

        var request = Assert.Single(_measurements, m => m.Instrument.Name == "kedge.client.requests");
        Assert.Equal("transport-error", request.Tags["outcome"]);
    }

    [Fact]
    public async Task MappingFailure_IpLiteralTarget_Counted()
    {
        using var client = _kedge.CreateClient(_logs);
        using var http = new HttpClient(client.CreateHandler());

        await Assert.ThrowsAsync<HttpRequestException>(() => http.GetAsync("http://[::1]:8080/"));

        Assert.Single(_measurements, m => m.Instrument.Name == "kedge.client.mapping_failures");
        Assert.DoesNotContain(_measurements, m => m.Instrument.Name == "kedge.client.requests");
    }

    [Fact]
    public async Task TokenRefreshes_DelegateSourceFetchesAndFails_CountedBySourceAndResult()
    {
        var fail = false;
        var source = KedgeTokenSource.FromDelegate("mesh", _ => fail ? throw new InvalidOperationException("issuer down") : ValueTask.FromResult("t0ken"));
        using var client = KedgeClient.Create(_kedge.ClientOptions(KedgeMapper.Single(_kedge.KedgeUrl, proxyAuth: source)), _logs);
        using var http = new HttpClient(client.CreateHandler());

        (await http.GetAsync("http://a.shop.svc.cluster-b.kedge/")).Dispose();
        fail = true;
        await Assert.ThrowsAsync<KedgeTokenSourceException>(() => http.GetAsync("http://a.shop.svc.cluster-b.kedge/"));

        var refreshes = _measurements.Where(m => m.Instrument.Name == "kedge.client.token_refreshes").ToList();
        Assert.Equal(2, refreshes.Count);
        Assert.All(refreshes, m => Assert.Equal("mesh", m.Tags["source"]));
        Assert.Equal(["failure", "success"], refreshes.Select(m => (string)m.Tags["result"]!).Order());
        Assert.Contains(_measurements, m => m.Instrument.Name == "kedge.client.requests" && (string?)m.Tags["outcome"] == "token-error");
    }

    [Fact]
    public async Task CertificateReloads_NewClientCertificate_CountedAsSuccess()
    {
        var clock = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(DateTimeOffset.UtcNow);
        using var client = KedgeClient.Create(_kedge.ClientOptions(KedgeMapper.Single(_kedge.KedgeUrl)), _logs, clock);
        using var http = new HttpClient(client.CreateHandler());
        using var first = new HttpRequestMessage(HttpMethod.Get, "http://a.shop.svc.cluster-b.kedge/");
        first.Headers.ConnectionClose = true; // the next call handshakes again, reading the certificate files
        (await http.SendAsync(first)).Dispose();

        _kedge.ClientSecret.Update(_kedge.Ca.IssueClientCertificate("caller-v2"));
        clock.Advance(TimeSpan.FromMinutes(1));
        (await http.GetAsync("http://b.shop.svc.cluster-b.kedge/")).Dispose();

        var reload = Assert.Single(_measurements, m => m.Instrument.Name == "kedge.client.certificate_reloads");
        Assert.Equal("client", reload.Tags["certificate"]);
        Assert.Equal("success", reload.Tags["result"]);
    }

    [Fact]
    public void AddKedgeClient_WithMeterFactory_InstrumentsComeFromIt()
    {
        var services = new ServiceCollection();
        services.AddSingleton<ILoggerFactory>(_logs);
        services.AddMetrics();
        services.AddKedgeClient(o => o.Mapper = KedgeMapper.Single(_kedge.KedgeUrl));
        using var provider = services.BuildServiceProvider();
        var factory = provider.GetRequiredService<IMeterFactory>();
        var scopes = new ConcurrentBag<object?>();
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, _) =>
            {
                if (instrument.Meter.Name == KedgeClientDiagnostics.MeterName)
                {
                    scopes.Add(instrument.Meter.Scope);
                }
            },
        };
        listener.Start();

        provider.GetRequiredService<KedgeClient>();

        Assert.Contains(factory, scopes);
    }
}

using System.Net;
using Kedge.Client;
using Kedge.Client.Mapping;
using Kedge.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Logging;

namespace Kedge.FunctionalTests.Client;

/// <summary>
/// A resilience handler must wrap kedge whichever side of <c>AddKedge()</c> it is added on: its retries are new attempts
/// at kedge, counted here by a stand-in kedge that answers 503.
/// </summary>
public sealed class ResilienceOrderTests : IAsyncLifetime
{
    private const int MaxRetryAttempts = 2;

    private readonly TestLogSink _logs = new();
    private KedgeStandIn _kedge = null!;
    private int _attempts;

    public async Task InitializeAsync()
    {
        // Polly reports the final 503 as an error: that is the point of these tests.
        _logs.ExpectErrors(e => e.Category.StartsWith("Polly", StringComparison.Ordinal));
        _kedge = await KedgeStandIn.StartAsync(_logs, app => app.Map("/flaky", () =>
        {
            Interlocked.Increment(ref _attempts);
            return Results.Text("try again", statusCode: 503);
        }));
    }

    public async Task DisposeAsync()
    {
        await _kedge.DisposeAsync();
        _logs.Dispose();
    }

    [Fact]
    public async Task AddKedge_ThenStandardResilienceHandler_RetriesReachKedge()
    {
        await using var services = BuildServices(b => b.AddKedge().AddStandardResilienceHandler(FastRetries));

        using var response = await services.GetRequiredService<IHttpClientFactory>().CreateClient("orders").GetAsync("/flaky");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal(1 + MaxRetryAttempts, Volatile.Read(ref _attempts));
    }

    [Fact]
    public async Task StandardResilienceHandler_ThenAddKedge_RetriesReachKedge()
    {
        await using var services = BuildServices(b => b.AddStandardResilienceHandler(FastRetries).Services.AddHttpClient("orders").AddKedge());

        using var response = await services.GetRequiredService<IHttpClientFactory>().CreateClient("orders").GetAsync("/flaky");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal(1 + MaxRetryAttempts, Volatile.Read(ref _attempts));
    }

    [Fact]
    public async Task AddKedge_ThenHandler_HandlerSeesTheCallersTarget()
    {
        var seen = new List<string>();
        await using var services = BuildServices(b => b.AddKedge().AddHttpMessageHandler(() => new RecordingHandler(seen)));

        using var response = await services.GetRequiredService<IHttpClientFactory>().CreateClient("orders").GetAsync("/v1/orders");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(["http://orders.shop.svc.cluster-b.kedge:8080/v1/orders"], seen);
    }

    [Fact]
    public async Task AddKedge_ThenConfigurePrimaryHandler_StillRoutesThroughKedge()
    {
        await using var services = BuildServices(b => b.AddKedge().ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler { UseProxy = false }));

        using var response = await services.GetRequiredService<IHttpClientFactory>().CreateClient("orders").GetAsync("/v1/orders");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(1, _kedge.Server.RequestCount);
    }

    private static void FastRetries(HttpStandardResilienceOptions options)
    {
        options.Retry.MaxRetryAttempts = MaxRetryAttempts;
        options.Retry.Delay = TimeSpan.Zero;
        options.Retry.UseJitter = false;
    }

    private ServiceProvider BuildServices(Action<IHttpClientBuilder> configure)
    {
        var services = new ServiceCollection();
        services.AddSingleton<ILoggerFactory>(_logs);
        services.AddKedgeClient(o =>
        {
            var options = _kedge.ClientOptions(KedgeMapper.Regex(@"\.kedge(:[0-9]+)?$", _kedge.KedgeUrl.ToString().TrimEnd('/')));
            o.Mapper = options.Mapper;
            o.ClientCertificate = options.ClientCertificate;
            o.KedgeCaFiles.Add(_kedge.CaFile);
        });
        configure(services.AddHttpClient("orders", c => c.BaseAddress = new Uri("http://orders.shop.svc.cluster-b.kedge:8080")));
        return services.BuildServiceProvider();
    }

    private sealed class RecordingHandler(List<string> seen) : DelegatingHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            lock (seen)
            {
                seen.Add(request.RequestUri!.ToString());
            }

            return base.SendAsync(request, cancellationToken);
        }
    }
}

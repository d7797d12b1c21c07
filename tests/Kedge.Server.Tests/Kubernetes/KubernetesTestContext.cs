using System.Diagnostics.Metrics;
using System.Threading.Channels;
using Kedge.Server.Backends;
using Kedge.Server.Kubernetes;
using Kedge.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Kedge.Server.Tests.Kubernetes;

/// <summary>A fake API server, a real KubernetesClient pointed at it, and the shared watch pool.</summary>
internal sealed class KubernetesTestContext : IAsyncDisposable
{
    private readonly ServiceProvider _services;

    private KubernetesTestContext(KubernetesApiServer api, TestLogSink logs, KubernetesOptions options, TempDirectory dir)
    {
        Api = api;
        Logs = logs;
        Options = options;
        Dir = dir;
        _services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        Metrics = new KubernetesMetrics(_services.GetRequiredService<IMeterFactory>());
        Connection = new KubernetesConnection(options);
        Pool = new EndpointSliceWatchPool(Connection, Metrics, TimeProvider.System, logs);
    }

    public KubernetesApiServer Api { get; }

    public TestLogSink Logs { get; }

    public KubernetesOptions Options { get; }

    public TempDirectory Dir { get; }

    public KubernetesMetrics Metrics { get; }

    public KubernetesConnection Connection { get; }

    public EndpointSliceWatchPool Pool { get; }

    public IMeterFactory MeterFactory => _services.GetRequiredService<IMeterFactory>();

    public static async Task<KubernetesTestContext> StartAsync(TestLogSink logs, string? token = "token-1")
    {
        var dir = new TempDirectory();
        var api = await KubernetesApiServer.StartAsync(logs: logs);
        api.RequiredToken = token;
        var tokenFile = dir.Combine("token");
        await File.WriteAllTextAsync(tokenFile, token + "\n");
        var options = new KubernetesOptions
        {
            ApiUrl = api.Url,
            TokenFile = tokenFile,
            MaxReconnectDelay = TimeSpan.FromMilliseconds(400),
            InitialSyncTimeout = TimeSpan.FromSeconds(10),
        };
        return new KubernetesTestContext(api, logs, options, dir);
    }

    /// <summary>Starts a resolver; its endpoint sets arrive on the returned channel.</summary>
    public async Task<(EndpointSliceResolver Resolver, ChannelReader<string[]> Changes)> ResolveAsync(string target, string backend = "backend")
    {
        var channel = Channel.CreateUnbounded<string[]>();
        var resolver = new EndpointSliceResolver(backend, K8sTarget.Parse(target), Pool, Metrics, TimeProvider.System, Logs.CreateLogger("resolver"));
        await resolver.StartAsync(e => channel.Writer.TryWrite([.. e.Select(x => x.Authority)]), CancellationToken.None);
        return (resolver, channel.Reader);
    }

    public async ValueTask DisposeAsync()
    {
        await Pool.DisposeAsync();
        Connection.Dispose();
        await Api.DisposeAsync();
        await _services.DisposeAsync();
        Dir.Dispose();
    }
}

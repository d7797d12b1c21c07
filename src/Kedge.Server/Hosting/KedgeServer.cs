using Kedge.Server.Configuration;
using Kedge.Server.Management;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;

namespace Kedge.Server.Hosting;

/// <summary>A built kedge server: start it, apply routing configuration, find its ports.</summary>
public sealed class KedgeServer : IAsyncDisposable
{
    private readonly List<(string Name, ListenOptions Options)> _listeners;
    private int _disposed;

    internal KedgeServer(WebApplication app, List<(string Name, ListenOptions Options)> listeners)
    {
        App = app;
        _listeners = listeners;
    }

    /// <summary>The underlying application.</summary>
    public WebApplication App { get; }

    /// <summary>The bound TLS proxy port (after start), or 0.</summary>
    public int ProxyPort => PortOf("proxy", 0);

    /// <summary>The bound separate gRPC TLS port, or 0.</summary>
    public int GrpcPort => PortOf(KedgeServerApp.GrpcListener, 0);

    /// <summary>The bound admin port (after start).</summary>
    public int AdminPort => PortOf("admin", 0);

    /// <summary>Applies a routing configuration; returns the errors (none when applied).</summary>
    public Task<IReadOnlyList<string>> ApplyAsync(KedgeServerOptions options, string section = "Kedge")
        => App.Services.GetRequiredService<KedgeRuntime>().ApplyAsync(options, section);

    /// <summary>Applies a routing configuration its source already validated (kedge's own start-up).</summary>
    internal Task<IReadOnlyList<string>> ApplyValidatedAsync(KedgeServerOptions options, Configuration.Sources.RoutingOrigin origin)
        => App.Services.GetRequiredService<KedgeRuntime>().ApplyValidatedAsync(options, origin);

    /// <summary>Starts listening.</summary>
    public Task StartAsync(CancellationToken cancellationToken = default) => App.StartAsync(cancellationToken);

    /// <summary>Stops the server (if it still runs) and releases it; the runtime and its backends go with the container.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        try
        {
            await App.StopAsync();
        }
        catch (ObjectDisposedException)
        {
            // RunAsync already stopped and disposed the host.
        }

        await App.DisposeAsync();
    }

    private int PortOf(string name, int index)
        => _listeners.Where(l => l.Name == name).Select(l => l.Options.IPEndPoint?.Port ?? 0).ElementAtOrDefault(index);
}

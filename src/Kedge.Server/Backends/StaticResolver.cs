using Kedge.Server.Routing;

namespace Kedge.Server.Backends;

/// <summary>A fixed list of endpoints.</summary>
internal sealed class StaticResolver : IBackendResolver
{
    private readonly BackendEndpoint[] _endpoints;

    public StaticResolver(IEnumerable<string> addresses)
    {
        _endpoints = [.. addresses.Select(Parse)];
    }

    public static BackendEndpoint Parse(string address)
    {
        var (host, port) = RequestTarget.SplitAuthority(address, defaultPort: -1);
        if (host.Length == 0 || port is < 1 or > 65535)
        {
            throw new FormatException($"'{address}' is not 'host:port' (or '[v6]:port') with a port from 1 to 65535, for example '10.0.0.7:8080'.");
        }

        return new BackendEndpoint(host, port);
    }

    public Task StartAsync(Action<IReadOnlyList<BackendEndpoint>> onChange, CancellationToken cancellationToken)
    {
        onChange(_endpoints);
        return Task.CompletedTask;
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}

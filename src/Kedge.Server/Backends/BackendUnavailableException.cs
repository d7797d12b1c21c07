namespace Kedge.Server.Backends;

/// <summary>Every endpoint of a backend failed to connect.</summary>
internal sealed class BackendUnavailableException(string backend, IReadOnlyList<BackendEndpoint> tried, Exception inner)
    : HttpRequestException(HttpRequestError.ConnectionError, $"lb: failed choosing valid target for {backend}: all targets [{string.Join(" ", tried)}] are failing, try later.", inner)
{
    public string Backend { get; } = backend;
}

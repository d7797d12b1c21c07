using System.Net.Http.Headers;
using k8s.Authentication;

namespace Kedge.Server.Kubernetes;

/// <summary>
/// A bearer token from a file, read on every API call. Projected service-account tokens rotate (the kubelet rewrites
/// the file); a read costs far less than a call, and kedge's calls are a handful of lists and long watches.
/// The token is trimmed (Go sent the trailing newline along).
/// </summary>
internal sealed class ServiceAccountTokenProvider(string path) : ITokenProvider
{
    public async Task<AuthenticationHeaderValue> GetAuthenticationHeaderAsync(CancellationToken cancellationToken)
    {
        var token = (await File.ReadAllTextAsync(path, cancellationToken)).Trim();
        return new AuthenticationHeaderValue("Bearer", token);
    }
}

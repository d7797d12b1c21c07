using Microsoft.AspNetCore.Http;

namespace Kedge.Server.Authorization;

/// <summary>
/// Reads kedge's own credentials: <c>Proxy-Authorization: Bearer &lt;token&gt;</c> (for gRPC the same
/// <c>proxy-authorization</c> metadata). Exactly one space separates the scheme from the token, which is one word:
/// <c>Bearer  x</c> is malformed rather than an empty token (Go read it as one).
/// </summary>
internal static class ProxyAuthorizationHeader
{
    public const string Name = "Proxy-Authorization";

    public static ProxyCredentialStatus Read(HttpRequest request, out string token)
    {
        token = string.Empty;
        var values = request.Headers[Name];
        if (values.Count == 0 || (values.Count == 1 && string.IsNullOrWhiteSpace(values[0])))
        {
            return ProxyCredentialStatus.Missing;
        }

        if (values.Count > 1)
        {
            return ProxyCredentialStatus.Malformed;
        }

        var value = values[0]!.Trim();
        const string Scheme = "Bearer ";
        if (value.Length <= Scheme.Length || !value.StartsWith(Scheme, StringComparison.OrdinalIgnoreCase))
        {
            return ProxyCredentialStatus.Malformed;
        }

        var candidate = value[Scheme.Length..];
        if (candidate.AsSpan().IndexOfAny(' ', '\t') >= 0)
        {
            return ProxyCredentialStatus.Malformed;
        }

        token = candidate;
        return ProxyCredentialStatus.Present;
    }

    public const string MissingMessage = "no Proxy-Authorization header; send 'Proxy-Authorization: Bearer <token>' (gRPC: 'proxy-authorization' metadata)";

    public const string MalformedMessage = "the Proxy-Authorization header is not in the form 'Bearer <token>'";
}

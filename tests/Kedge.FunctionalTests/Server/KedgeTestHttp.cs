using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace Kedge.FunctionalTests.Server;

/// <summary>
/// A plain HttpClient that talks TLS to kedge itself (trusting the test CA, optionally presenting a client certificate),
/// so tests control every header, the malformed ones included.
/// </summary>
internal static class KedgeTestHttp
{
    public static HttpClient Create(KedgeServerFixture kedge, X509Certificate2? clientCertificate)
        => new(CreateHandler(kedge, clientCertificate)) { BaseAddress = kedge.KedgeUrl };

    /// <summary>The handler behind <see cref="Create"/>, for clients that build their own (gRPC channels).</summary>
    public static SocketsHttpHandler CreateHandler(KedgeServerFixture kedge, X509Certificate2? clientCertificate)
        => new SocketsHttpHandler
        {
            UseProxy = false,
            SslOptions = new SslClientAuthenticationOptions
            {
                ClientCertificates = clientCertificate is null ? null : [clientCertificate],
                LocalCertificateSelectionCallback = clientCertificate is null ? null : (_, _, _, _, _) => clientCertificate,
                RemoteCertificateValidationCallback = (_, certificate, _, _) => certificate is X509Certificate2 c && kedge.Ca.Validates(c),
            },
        };

    /// <summary>A request for <paramref name="host"/> (sent as Host) carrying <paramref name="proxyAuthorization"/> when given.</summary>
    public static HttpRequestMessage Request(string host, string path = "/", string? proxyAuthorization = null, Version? version = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, path) { Version = version ?? System.Net.HttpVersion.Version11, VersionPolicy = HttpVersionPolicy.RequestVersionExact };
        request.Headers.Host = host;
        if (proxyAuthorization is not null)
        {
            request.Headers.TryAddWithoutValidation("Proxy-Authorization", proxyAuthorization);
        }

        return request;
    }
}
